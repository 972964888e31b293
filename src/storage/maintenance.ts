import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Rows deleted per statement, so a large backlog never holds long locks. */
const BATCH_SIZE = 1000;
/**
 * Consumed and expired codes are kept a day longer, so a late replay is still recognized and
 * revokes the tokens issued from the code.
 */
const CODE_RETENTION_MS = 24 * 3600 * 1000;

export interface PruneResult {
  authorizationRequests: number;
  sessions: number;
  authorizationCodes: number;
  accessTokens: number;
  refreshTokens: number;
  tokenFamilies: number;
  deviceAuthorizations: number;
  rateLimitCounters: number;
}

/**
 * Deletes expired rows. Safe to run from several processes at once: each statement deletes
 * only rows that are already expired, and a row deleted by another process is simply skipped.
 */
export async function pruneExpired(db: Kysely<Database>, now: number): Promise<PruneResult> {
  return {
    authorizationRequests: await deleteInBatches(db, 'authorization_requests', 'id', now),
    sessions: await deleteInBatches(db, 'sessions', 'id_hash', now),
    authorizationCodes: await deleteInBatches(db, 'authorization_codes', 'code_hash', now - CODE_RETENTION_MS),
    accessTokens: await deleteInBatches(db, 'access_tokens', 'token_hash', now),
    refreshTokens: await deleteInBatches(db, 'refresh_tokens', 'token_hash', now),
    // A family ends when its absolute lifetime does; its codes and tokens go with it (ON DELETE CASCADE).
    tokenFamilies: await deleteInBatches(db, 'token_families', 'id', now - CODE_RETENTION_MS),
    deviceAuthorizations: await deleteInBatches(db, 'device_authorizations', 'device_code_hash', now),
    rateLimitCounters: await deleteInBatches(db, 'rate_limit_counters', 'id', now),
  };
}

type PrunableTable =
  | 'authorization_requests'
  | 'sessions'
  | 'authorization_codes'
  | 'access_tokens'
  | 'refresh_tokens'
  | 'token_families'
  | 'device_authorizations'
  | 'rate_limit_counters';

async function deleteInBatches(
  db: Kysely<Database>,
  table: PrunableTable,
  key: string,
  expiredBefore: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    // DELETE ... LIMIT is not portable; a key subquery with LIMIT works on SQLite and PostgreSQL.
    const result = await db
      .deleteFrom(table)
      .where(key as never, 'in', (query) =>
        query
          .selectFrom(table)
          .select(key as never)
          .where('expires_at', '<=', expiredBefore)
          .limit(BATCH_SIZE),
      )
      .executeTakeFirst();
    const deleted = Number(result.numDeletedRows);
    total += deleted;
    if (deleted < BATCH_SIZE) return total;
  }
}

/**
 * Claims a named lease for `durationMs` unless another holder has an unexpired claim. Returns
 * true when `holder` now has the lease. One conditional write decides, so two processes never
 * both win.
 */
export async function acquireLease(
  db: Kysely<Database>,
  name: string,
  holder: string,
  now: number,
  durationMs: number,
): Promise<boolean> {
  await db
    .insertInto('maintenance_leases')
    .values({ name, holder: '', expires_at: 0 })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
  const result = await db
    .updateTable('maintenance_leases')
    .set({ holder, expires_at: now + durationMs })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('holder', '=', holder)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
