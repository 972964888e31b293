import type { Kysely } from 'kysely';
import type { AuthenticatedSession } from '../core/interaction.js';
import type { Database } from './schema.js';

export async function insertSession(
  db: Kysely<Database>,
  session: { idHash: string; userId: string; authTime: number; now: number; expiresAt: number },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id_hash: session.idHash,
      user_id: session.userId,
      auth_time: session.authTime,
      created_at: session.now,
      expires_at: session.expiresAt,
    })
    .execute();
}

/** Loads a live session of an enabled user by the hash of its cookie value. */
export async function findSession(
  db: Kysely<Database>,
  idHash: string,
  now: number,
): Promise<AuthenticatedSession | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.user_id as user_id', 'sessions.auth_time as auth_time'])
    .where('sessions.id_hash', '=', idHash)
    .where('sessions.expires_at', '>', now)
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();
  return row === undefined ? undefined : { userId: row.user_id, authTime: row.auth_time };
}

export async function deleteSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}
