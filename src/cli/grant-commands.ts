import { findUserById, findUserByUsername, type UserRow } from '../storage/users.js';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { listConnectedApps, revokeAuthorization } from '../storage/grants.js';
import { withDatabase } from './database.js';
import { CliError, parseOptions, printTable } from './output.js';

/** `gatehouse grant ...`: the authorizations users gave to clients, as the connected apps page shows them. */
export async function runGrantCommand(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'list':
      return listGrants(rest);
    case 'revoke':
      return revokeGrant(rest);
    default:
      throw new CliError(`unknown grant command '${subcommand ?? ''}': use list or revoke`, true);
  }
}

/** Finds a user by username, or else by id. */
async function findUser(db: Kysely<Database>, user: string | undefined): Promise<UserRow> {
  if (user === undefined) throw new CliError('missing required option --user', true);
  const byUsername = await findUserByUsername(db, user);
  const byId = await findUserById(db, user);
  // A username may spell another user's id; acting on either one could hit the wrong account.
  if (byUsername !== undefined && byId !== undefined && byUsername.id !== byId.id) {
    throw new CliError(`'${user}' is the username of one user and the id of another: give the other user's username`);
  }
  const found = byUsername ?? byId;
  if (found === undefined) throw new CliError(`no user with username or id '${user}'`);
  return found;
}

async function listGrants(args: string[]): Promise<number> {
  const options = parseOptions(args, { user: { type: 'string' }, json: { type: 'boolean' } });
  const apps = await withDatabase(async ({ db }) => listConnectedApps(db, (await findUser(db, options.user)).id));
  const isoTime = (milliseconds: number | null) => (milliseconds === null ? null : new Date(milliseconds).toISOString());
  if (options.json === true) {
    const rows = apps.map((app) => ({
      client_id: app.clientId,
      client_name: app.clientName,
      scope: app.scopes.join(' '),
      granted_at: isoTime(app.grantedAt),
      last_used_at: isoTime(app.lastUsedAt),
    }));
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  printTable(
    ['CLIENT_ID', 'NAME', 'SCOPE', 'GRANTED', 'LAST_USED'],
    apps.map((app) => [app.clientId, app.clientName, app.scopes.join(' '), isoTime(app.grantedAt) ?? '', isoTime(app.lastUsedAt) ?? 'never']),
  );
  return 0;
}

async function revokeGrant(args: string[]): Promise<number> {
  const options = parseOptions(args, { user: { type: 'string' }, 'client-id': { type: 'string' } });
  const clientId = options['client-id'];
  if (clientId === undefined) throw new CliError('missing required option --client-id', true);
  const result = await withDatabase(async ({ db }) => {
    const user = await findUser(db, options.user);
    return revokeAuthorization(db, { userId: user.id, clientId, now: Date.now(), reason: 'revoked with gatehouse grant revoke' });
  });
  if (!result.grantDeleted && result.familiesRevoked === 0) {
    throw new CliError(`user '${options.user}' has not authorized client '${clientId}'`);
  }
  console.log(`authorization of client '${clientId}' revoked; ${result.familiesRevoked} token families revoked`);
  return 0;
}
