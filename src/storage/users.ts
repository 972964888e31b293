import type { Kysely, Selectable, Transaction } from 'kysely';
import type { UserProfile } from '../core/oidc/claims.js';
import { recordAuditEvent } from './audit-events.js';
import type { Database, UsersTable } from './schema.js';

export type UserRow = Selectable<UsersTable>;

export interface NewUser {
  id: string;
  username: string;
  passwordHash: string;
  name: string | null;
  email: string | null;
  now: number;
}

export class UsernameTakenError extends Error {
  constructor(readonly username: string) {
    super(`a user named '${username}' already exists`);
  }
}

export async function insertUser(db: Kysely<Database>, user: NewUser): Promise<void> {
  const existing = await findUserByUsername(db, user.username);
  if (existing !== undefined) throw new UsernameTakenError(user.username);
  await db
    .insertInto('users')
    .values({
      id: user.id,
      username: user.username,
      password_hash: user.passwordHash,
      name: user.name,
      email: user.email,
      email_verified: 0,
      created_at: user.now,
      updated_at: user.now,
    })
    .execute();
}

export function findUserByUsername(db: Kysely<Database>, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export function findUserById(db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listUsers(db: Kysely<Database>): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().orderBy('username').execute();
}

/** Counts of the sessions and token families that ending a user's access removed. */
export interface AccessEnded {
  sessionsEnded: number;
  familiesRevoked: number;
}

/**
 * Replaces a user's password hash and, in the same transaction, ends every login session of the
 * user, so a session opened with the old password does not outlive it. Unless `keepAppTokens` is
 * set, it also revokes every token family of the user (RFC 9700 section 4.14.2), so apps must
 * send the user through the authorization endpoint again. Remembered authorizations stay, so
 * that trip skips the consent page.
 */
export async function updateUserPassword(
  db: Kysely<Database>,
  change: { userId: string; passwordHash: string; keepAppTokens: boolean; now: number },
): Promise<AccessEnded> {
  const { userId, now } = change;
  return db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: change.passwordHash, updated_at: now }).where('id', '=', userId).execute();
    const ended = await endUserAccess(trx, userId, now, !change.keepAppTokens);
    await recordAuditEvent(trx, {
      type: 'password_changed',
      clientId: null,
      userId,
      detail: `login sessions ended: ${ended.sessionsEnded}, token families revoked: ${ended.familiesRevoked}`,
      now,
    });
    return ended;
  });
}

/**
 * Disables a user account in one transaction. The user can no longer log in, every login session
 * ends, and device approvals not yet collected are withdrawn. Every token family of the user is
 * revoked, so refresh tokens, opaque access tokens and unredeemed codes stop working at once.
 * Returns undefined when the account was already disabled.
 */
export async function disableUser(db: Kysely<Database>, userId: string, now: number): Promise<AccessEnded | undefined> {
  return db.transaction().execute(async (trx) => {
    const disabled = await trx
      .updateTable('users')
      .set({ disabled_at: now, updated_at: now })
      .where('id', '=', userId)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    if (disabled.numUpdatedRows === 0n) return undefined;
    const ended = await endUserAccess(trx, userId, now, true);
    await recordAuditEvent(trx, {
      type: 'user_disabled',
      clientId: null,
      userId,
      detail: `login sessions ended: ${ended.sessionsEnded}, token families revoked: ${ended.familiesRevoked}`,
      now,
    });
    return ended;
  });
}

/** Enables a disabled user account again. Returns false when the account was not disabled. */
export async function enableUser(db: Kysely<Database>, userId: string, now: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const enabled = await trx
      .updateTable('users')
      .set({ disabled_at: null, updated_at: now })
      .where('id', '=', userId)
      .where('disabled_at', 'is not', null)
      .executeTakeFirst();
    if (enabled.numUpdatedRows === 0n) return false;
    await recordAuditEvent(trx, { type: 'user_enabled', clientId: null, userId, detail: null, now });
    return true;
  });
}

/** Ends the user's login sessions and, when `revokeTokens` is set, every token family of the user. */
async function endUserAccess(
  trx: Transaction<Database>,
  userId: string,
  now: number,
  revokeTokens: boolean,
): Promise<AccessEnded> {
  const sessions = await trx.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  let familiesRevoked = 0;
  if (revokeTokens) {
    await trx
      .updateTable('device_authorizations')
      .set({ denied_at: now })
      .where('user_id', '=', userId)
      .where('consumed_at', 'is', null)
      .where('denied_at', 'is', null)
      .execute();
    const families = await trx
      .updateTable('token_families')
      .set({ revoked_at: now })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    familiesRevoked = Number(families.numUpdatedRows);
  }
  return { sessionsEnded: Number(sessions.numDeletedRows), familiesRevoked };
}

export function toUserProfile(row: UserRow): UserProfile {
  return {
    id: row.id,
    username: row.username,
    name: row.name,
    email: row.email,
    emailVerified: row.email_verified === 1,
    updatedAt: row.updated_at,
  };
}
