import type { Kysely } from 'kysely';
import { generateId } from '../core/secrets.js';
import { hashPassword } from '../passwords.js';
import type { Database } from '../storage/schema.js';
import {
  disableUser,
  enableUser,
  findUserByUsername,
  insertUser,
  listUsers,
  updateUserPassword,
  UsernameTakenError,
  type UserRow,
} from '../storage/users.js';
import { withDatabase } from './database.js';
import { CliError, hasUnprintableCharacters, parseOptions, printTable, readDisplayName, readStdin } from './output.js';

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
    case 'disable':
      return disableAccount(rest);
    case 'enable':
      return enableAccount(rest);
    default:
      throw new CliError(
        `unknown user command '${subcommand ?? ''}': use create, list, set-password, disable or enable`,
        true,
      );
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
  // The login form rejects NUL, and a browser's password field cannot hold a line break.
  if (/[\u0000-\u001f\u007f]/.test(password)) {
    throw new CliError('the password must not contain control characters or line breaks: pipe in one line');
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
  const name = options.name === undefined ? null : readDisplayName(options.name);
  if (options.email !== undefined && (!/^[^\s@]+@[^\s@]+$/.test(options.email) || hasUnprintableCharacters(options.email))) {
    // JSON quoting shows control characters as escapes instead of sending them to the terminal.
    throw new CliError(`invalid email address ${JSON.stringify(options.email)}`);
  }
  const passwordHash = await hashPassword(await readPassword());

  const id = generateId();
  await withDatabase(async ({ db }) => {
    try {
      await insertUser(db, {
        id,
        username,
        passwordHash,
        name,
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
      disabled_at: user.disabled_at === null ? null : new Date(user.disabled_at).toISOString(),
    }));
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  printTable(
    ['ID', 'USERNAME', 'NAME', 'EMAIL', 'CREATED', 'STATUS'],
    users.map((user) => [
      user.id,
      user.username,
      user.name ?? '',
      user.email ?? '',
      new Date(user.created_at).toISOString(),
      user.disabled_at === null ? 'enabled' : 'disabled',
    ]),
  );
  return 0;
}

async function setPassword(args: string[]): Promise<number> {
  const options = parseOptions(args, {
    username: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'keep-app-tokens': { type: 'boolean' },
  });
  const username = checkUsername(options.username);
  if (options['password-stdin'] !== true) throw new CliError('missing required option --password-stdin', true);
  const passwordHash = await hashPassword(await readPassword());
  const keepAppTokens = options['keep-app-tokens'] === true;
  const ended = await withDatabase(async ({ db }) => {
    const user = await findExistingUser(db, username);
    return updateUserPassword(db, { userId: user.id, passwordHash, keepAppTokens, now: Date.now() });
  });
  const tokens = keepAppTokens ? 'app tokens kept' : `app token families revoked: ${ended.familiesRevoked}`;
  console.log(`changed the password of '${username}' (login sessions ended: ${ended.sessionsEnded}, ${tokens})`);
  return 0;
}

async function disableAccount(args: string[]): Promise<number> {
  const options = parseOptions(args, { username: { type: 'string' } });
  const username = checkUsername(options.username);
  const ended = await withDatabase(async ({ db }) => disableUser(db, (await findExistingUser(db, username)).id, Date.now()));
  if (ended === undefined) {
    console.log(`user '${username}' was already disabled`);
    return 0;
  }
  console.log(
    `disabled user '${username}' (login sessions ended: ${ended.sessionsEnded}, token families revoked: ${ended.familiesRevoked})`,
  );
  return 0;
}

async function enableAccount(args: string[]): Promise<number> {
  const options = parseOptions(args, { username: { type: 'string' } });
  const username = checkUsername(options.username);
  const enabled = await withDatabase(async ({ db }) => enableUser(db, (await findExistingUser(db, username)).id, Date.now()));
  console.log(enabled ? `enabled user '${username}'` : `user '${username}' was not disabled`);
  return 0;
}

async function findExistingUser(db: Kysely<Database>, username: string): Promise<UserRow> {
  const user = await findUserByUsername(db, username);
  if (user === undefined) throw new CliError(`user '${username}' not found: see 'gatehouse user list'`);
  return user;
}
