import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Absolute expiry and revocation time of a token family. */
export interface FamilyState {
  expiresAt: number;
  /** When the family was revoked, or null while it is live. */
  revokedAt: number | null;
}

/** Reads a token family's absolute expiry and revocation time. The family must exist. */
export async function findFamilyState(db: Kysely<Database>, familyId: string): Promise<FamilyState> {
  const family = await db
    .selectFrom('token_families')
    .select(['expires_at', 'revoked_at'])
    .where('id', '=', familyId)
    .executeTakeFirstOrThrow();
  return { expiresAt: family.expires_at, revokedAt: family.revoked_at };
}
