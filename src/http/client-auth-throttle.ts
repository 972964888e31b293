import { ClientAuthenticationPaused } from '../core/errors.js';
import { countAttempts, reserveAttempt, type RateLimit } from '../storage/rate-limits.js';
import type { AppContext } from './context.js';

/** Client ids longer than this are rejected before any lookup, so they get no counter row either. */
const MAX_COUNTED_CLIENT_ID_LENGTH = 256;
const CLIENT_AUTH_WINDOW_SECONDS = 15 * 60;

/**
 * A fixed 15-minute window per client_id and client address, as for login failures. Counting per
 * address as well means a stranger who has a client_id cannot lock the real client out from
 * elsewhere. Counters live in the database, so the limit holds across every Gatehouse process.
 */
function clientAuthenticationLimit(context: AppContext): RateLimit {
  return { name: 'client-auth', maxAttempts: context.config.clientAuthMaxFailures, windowSeconds: CLIENT_AUTH_WINDOW_SECONDS };
}

/**
 * Reserves room in the audit table for one failed authentication from `address`. Invented client
 * ids each get their own failure counter, so one address may store at most five times the
 * per-client limit of failures in a window, whatever ids it sends. Returns false past that.
 */
export async function reserveFailureAuditRow(context: AppContext, address: string): Promise<boolean> {
  const limit = { name: 'client-auth-audit', maxAttempts: context.config.clientAuthMaxFailures * 5, windowSeconds: CLIENT_AUTH_WINDOW_SECONDS };
  return (await reserveAttempt(context.db, limit, address, context.clock.now())).allowed;
}

/**
 * Rejects a client_id that failed authentication too often in the current window, before its
 * secret is checked, so guessing during the pause gains nothing. Costs one read per request.
 */
export async function checkClientAuthenticationAllowed(context: AppContext, clientId: string, address: string): Promise<void> {
  if (clientId.length > MAX_COUNTED_CLIENT_ID_LENGTH) return;
  const now = context.clock.now();
  const subject = `${clientId} ${address}`;
  const { count, windowEnd } = await countAttempts(context.db, clientAuthenticationLimit(context), subject, now);
  if (count >= context.config.clientAuthMaxFailures) {
    throw new ClientAuthenticationPaused(Math.max(1, Math.ceil((windowEnd - now) / 1000)));
  }
}

/** Counts one failed authentication of a client_id from an address; only failures write. */
export async function countClientAuthenticationFailure(context: AppContext, clientId: string, address: string): Promise<void> {
  if (clientId.length > MAX_COUNTED_CLIENT_ID_LENGTH) return;
  await reserveAttempt(context.db, clientAuthenticationLimit(context), `${clientId} ${address}`, context.clock.now());
}
