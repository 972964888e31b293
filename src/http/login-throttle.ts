import type { FastifyRequest } from 'fastify';
import { reserveAttempt, type AttemptReservation, type RateLimit } from '../storage/rate-limits.js';
import type { AppContext } from './context.js';

/**
 * Limits on password attempts, per account and per client IP address, in two tiers each: a short
 * window that stops a burst, and a day-long one, so the wait grows for an attacker who keeps
 * going. Counters live in the database, so they hold across every Gatehouse process.
 */
function loginLimits(context: AppContext): { account: RateLimit[]; address: RateLimit[] } {
  const perAccount = context.config.loginMaxFailuresPerAccount;
  const perAddress = context.config.loginMaxFailuresPerAddress;
  return {
    account: [
      { name: 'login-account', maxAttempts: perAccount, windowSeconds: 15 * 60 },
      { name: 'login-account-day', maxAttempts: perAccount * 4, windowSeconds: 24 * 3600 },
    ],
    address: [
      { name: 'login-address', maxAttempts: perAddress, windowSeconds: 15 * 60 },
      { name: 'login-address-day', maxAttempts: perAddress * 5, windowSeconds: 24 * 3600 },
    ],
  };
}

export interface LoginAttempt {
  allowed: boolean;
  /** Seconds until the first exhausted window ends; set when not allowed. */
  retryAfterSeconds: number;
  /** Gives the counted attempts back after a correct password, so only failures add up. */
  succeeded(): Promise<void>;
}

/**
 * Counts a password attempt before the password is checked. Counting first means that parallel
 * guesses cannot slip past the limit: each one takes a place in the counter at once.
 */
export async function reserveLoginAttempt(context: AppContext, request: FastifyRequest, username: string): Promise<LoginAttempt> {
  const now = context.clock.now();
  const limits = loginLimits(context);
  const account = username.trim().toLowerCase();
  const attempts: Array<{ limit: RateLimit; reservation: AttemptReservation }> = [];
  for (const limit of limits.account) {
    attempts.push({ limit, reservation: await reserveAttempt(context.db, limit, account, now) });
  }
  for (const limit of limits.address) {
    attempts.push({ limit, reservation: await reserveAttempt(context.db, limit, request.ip, now) });
  }

  const exhausted = attempts.filter((attempt) => !attempt.reservation.allowed);
  const retryAfterSeconds = exhausted.reduce((latest, attempt) => {
    const windowMs = attempt.limit.windowSeconds * 1000;
    const windowEnd = Math.floor(now / windowMs) * windowMs + windowMs;
    return Math.max(latest, Math.ceil((windowEnd - now) / 1000));
  }, 0);
  if (exhausted.length > 0) {
    request.log.warn(
      { limits: exhausted.map((attempt) => attempt.limit.name), retryAfterSeconds },
      'login attempt limit reached',
    );
  }
  return {
    allowed: exhausted.length === 0,
    retryAfterSeconds,
    async succeeded() {
      for (const attempt of attempts) await attempt.reservation.release();
    },
  };
}
