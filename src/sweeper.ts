import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from './clock.js';
import { acquireLease, pruneExpired } from './storage/maintenance.js';
import type { Database } from './storage/schema.js';

const LEASE_NAME = 'prune-expired';

export interface Sweeper {
  /** Runs one sweep now if this process gets the lease. Resolves to whether it swept. */
  sweepOnce(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Deletes expired rows every `intervalSeconds`. Every process runs a timer, but a lease in the
 * database lets only one of them sweep in each interval.
 */
export function startSweeper(
  db: Kysely<Database>,
  clock: Clock,
  logger: FastifyBaseLogger,
  intervalSeconds: number,
): Sweeper {
  const holder = randomUUID();
  let running: Promise<boolean> | undefined;

  const sweepOnce = async (): Promise<boolean> => {
    const now = clock.now();
    // The lease runs a little shorter than the interval, so the next tick of any process can take it.
    const leaseMs = Math.max(1000, Math.floor(intervalSeconds * 900));
    if (!(await acquireLease(db, LEASE_NAME, holder, now, leaseMs))) return false;
    const deleted = await pruneExpired(db, now);
    const total = Object.values(deleted).reduce((sum, count) => sum + count, 0);
    if (total > 0) logger.info({ deleted }, 'expired rows deleted');
    return true;
  };

  const tick = () => {
    if (running !== undefined) return;
    running = sweepOnce()
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'sweep of expired rows failed; retrying at the next interval');
        return false;
      })
      .finally(() => {
        running = undefined;
      });
  };

  const timer = intervalSeconds > 0 ? setInterval(tick, intervalSeconds * 1000) : undefined;
  timer?.unref();

  return {
    sweepOnce,
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      await running;
    },
  };
}
