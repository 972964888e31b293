import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface RateLimit {
  /** Names the limit, such as `device-user-code`. */
  name: string;
  maxAttempts: number;
  windowSeconds: number;
}

export interface AttemptReservation {
  allowed: boolean;
  /** Gives the attempt back, for attempts that turn out not to count (a correct code). */
  release(): Promise<void>;
}

/**
 * Counts one attempt of `subject` (a client IP address, say) against a fixed-window limit and
 * reports whether it is within the limit. The increment and the read are one statement, so
 * concurrent attempts from every process are counted exactly and never exceed the limit.
 */
export async function reserveAttempt(
  db: Kysely<Database>,
  limit: RateLimit,
  subject: string,
  now: number,
): Promise<AttemptReservation> {
  const { id, windowEnd } = currentWindow(limit, subject, now);
  const row = await db
    .insertInto('rate_limit_counters')
    .values({ id, count: 1, expires_at: windowEnd })
    .onConflict((conflict) => conflict.column('id').doUpdateSet((eb) => ({ count: eb('rate_limit_counters.count', '+', 1) })))
    .returning('count')
    .executeTakeFirstOrThrow();
  const allowed = row.count <= limit.maxAttempts;
  return {
    allowed,
    async release() {
      await db
        .updateTable('rate_limit_counters')
        .set((eb) => ({ count: eb('count', '-', 1) }))
        .where('id', '=', id)
        .where('count', '>', 0)
        .execute();
    },
  };
}

/** Reads how many attempts `subject` made in the current window of `limit`, without counting one. */
export async function countAttempts(
  db: Kysely<Database>,
  limit: RateLimit,
  subject: string,
  now: number,
): Promise<{ count: number; windowEnd: number }> {
  const { id, windowEnd } = currentWindow(limit, subject, now);
  const row = await db.selectFrom('rate_limit_counters').select('count').where('id', '=', id).executeTakeFirst();
  return { count: row?.count ?? 0, windowEnd };
}

/** The counter row of the fixed window that contains `now`. */
function currentWindow(limit: RateLimit, subject: string, now: number): { id: string; windowEnd: number } {
  const windowMs = limit.windowSeconds * 1000;
  const windowStart = Math.floor(now / windowMs) * windowMs;
  return { id: `${limit.name}:${subject}:${windowStart}`, windowEnd: windowStart + windowMs };
}
