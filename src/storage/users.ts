import type { Kysely, Selectable } from 'kysely';
import type { UserProfile } from '../core/oidc/claims.js';
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

/**
 * Replaces a user's password hash and ends every login session of the user in one transaction,
 * so a session opened with the old password does not outlive it. Tokens already issued to apps
 * stay valid; the connected apps page or `grant revoke` withdraws those.
 */
export async function updateUserPassword(
  db: Kysely<Database>,
  userId: string,
  passwordHash: string,
  now: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', userId).execute();
    await trx.deleteFrom('sessions').where('user_id', '=', userId).execute();
  });
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
