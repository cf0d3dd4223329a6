import { setTimeout as sleep } from 'node:timers/promises';
import { isDatabaseUnavailable } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';

/**
 * Runs a state write, retrying while Postgres is unreachable (backoff 100 ms doubling to 2 s)
 * for up to maxMs (by default a minute, as DB_RETRY_MAX_MS). Other errors, and an outage
 * longer than that, are thrown: the job then fails in BullMQ and the reconciler re-enqueues
 * the task once Postgres is back.
 */
export async function withDbRetry<T>(fn: () => Promise<T>, options: { maxMs?: number; logger: Logger; what: string }): Promise<T> {
  const deadline = Date.now() + (options.maxMs ?? 60_000);
  let delay = 100;
  let warned = false;
  for (;;) {
    try {
      const value = await fn();
      if (warned) options.logger.info('postgres is back', { what: options.what });
      return value;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + delay > deadline) throw error;
      if (!warned) options.logger.warn('postgres unavailable: retrying the state write', { what: options.what, error });
      warned = true;
      await sleep(delay);
      delay = Math.min(delay * 2, 2000);
    }
  }
}
