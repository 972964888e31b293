import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Absolute expiry and revocation time of a token family, and whether its user is disabled. */
export interface FamilyState {
  expiresAt: number;
  /** When the family was revoked, or null while it is live. */
  revokedAt: number | null;
  /**
   * True when the family's user account is disabled. Disabling revokes the user's families, but a
   * family created by a request that was under way at that moment escapes the revocation.
   */
  userDisabled: boolean;
}

/** Reads a token family's state. The family must exist. */
export async function findFamilyState(db: Kysely<Database>, familyId: string): Promise<FamilyState> {
  const family = await db
    .selectFrom('token_families')
    .leftJoin('users', 'users.id', 'token_families.user_id')
    .select(['token_families.expires_at as expires_at', 'token_families.revoked_at as revoked_at', 'users.disabled_at as disabled_at'])
    .where('token_families.id', '=', familyId)
    .executeTakeFirstOrThrow();
  return { expiresAt: family.expires_at, revokedAt: family.revoked_at, userDisabled: family.disabled_at !== null };
}
