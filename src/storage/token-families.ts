import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Returns when a token family reaches its absolute lifetime; the family must exist. */
export async function findFamilyExpiry(db: Kysely<Database>, familyId: string): Promise<number> {
  const family = await db
    .selectFrom('token_families')
    .select('expires_at')
    .where('id', '=', familyId)
    .executeTakeFirstOrThrow();
  return family.expires_at;
}
