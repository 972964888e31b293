import { generateId } from '../core/secrets.js';
import { hashPassword } from '../passwords.js';
import { findUserByUsername, insertUser, listUsers, updateUserPassword, UsernameTakenError } from '../storage/users.js';
import { withDatabase } from './database.js';
import { CliError, parseOptions, printTable, readStdin } from './output.js';

const USERNAME_PATTERN = /^[A-Za-z0-9._@+-]{1,128}$/;
const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;

export async function runUserCommand(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'create':
      return createUser(rest);
    case 'list':
      return listAllUsers(rest);
    case 'set-password':
      return setPassword(rest);
    default:
      throw new CliError(`unknown user command '${subcommand ?? ''}': use create, list or set-password`, true);
  }
}

async function readPassword(): Promise<string> {
  const password = await readStdin();
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new CliError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new CliError(`the password must not have more than ${MAX_PASSWORD_LENGTH} characters`);
  }
  return password;
}

function checkUsername(username: string | undefined): string {
  if (username === undefined) throw new CliError('missing required option --username', true);
  if (!USERNAME_PATTERN.test(username)) {
    throw new CliError(`invalid username '${username}': use 1 to 128 letters, digits or . _ @ + -`);
  }
  return username;
}

async function createUser(args: string[]): Promise<number> {
  const options = parseOptions(args, {
    username: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    name: { type: 'string' },
    email: { type: 'string' },
    json: { type: 'boolean' },
  });
  const username = checkUsername(options.username);
  if (options['password-stdin'] !== true) {
    throw new CliError('missing required option --password-stdin: pipe the password in, so it stays out of shell history', true);
  }
  if (options.email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(options.email)) {
    throw new CliError(`invalid email address '${options.email}'`);
  }
  const passwordHash = await hashPassword(await readPassword());

  const id = generateId();
  await withDatabase(async ({ db }) => {
    try {
      await insertUser(db, {
        id,
        username,
        passwordHash,
        name: options.name ?? null,
        email: options.email ?? null,
        now: Date.now(),
      });
    } catch (error) {
      if (error instanceof UsernameTakenError) throw new CliError(error.message);
      throw error;
    }
  });
  if (options.json === true) console.log(JSON.stringify({ id, username }));
  else console.log(`created user '${username}' (id ${id})`);
  return 0;
}

async function listAllUsers(args: string[]): Promise<number> {
  const options = parseOptions(args, { json: { type: 'boolean' } });
  const users = await withDatabase(({ db }) => listUsers(db));
  if (options.json === true) {
    const rows = users.map((user) => ({
      id: user.id,
      username: user.username,
      name: user.name,
      email: user.email,
      created_at: new Date(user.created_at).toISOString(),
    }));
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  printTable(
    ['ID', 'USERNAME', 'NAME', 'EMAIL', 'CREATED'],
    users.map((user) => [user.id, user.username, user.name ?? '', user.email ?? '', new Date(user.created_at).toISOString()]),
  );
  return 0;
}

async function setPassword(args: string[]): Promise<number> {
  const options = parseOptions(args, { username: { type: 'string' }, 'password-stdin': { type: 'boolean' } });
  const username = checkUsername(options.username);
  if (options['password-stdin'] !== true) throw new CliError('missing required option --password-stdin', true);
  const passwordHash = await hashPassword(await readPassword());
  await withDatabase(async ({ db }) => {
    const user = await findUserByUsername(db, username);
    if (user === undefined) throw new CliError(`no user named '${username}'`);
    await updateUserPassword(db, user.id, passwordHash, Date.now());
  });
  console.log(`password of '${username}' changed; the user's login sessions have ended`);
  return 0;
}
