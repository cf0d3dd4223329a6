import IORedis, { type Redis } from 'ioredis';

/**
 * A connection for BullMQ workers: commands wait for Redis to come back instead of
 * failing (`maxRetriesPerRequest: null`), as BullMQ's production guide requires.
 */
export function createWorkerRedis(url: string): Redis {
  return new IORedis(url, { maxRetriesPerRequest: null, connectionName: 'conveyor-worker' });
}

/**
 * A connection for producers (the API): when Redis is down, a command fails at once
 * instead of queueing in memory, so the caller can answer 503 and nothing is half-done.
 */
export function createProducerRedis(url: string): Redis {
  return new IORedis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'conveyor-producer' });
}

const REDIS_DOWN = [/enableOfflineQueue/i, /Connection is closed/i, /ECONNREFUSED/, /ECONNRESET/, /max retries per request/i, /Redis is not connected/i, /LOADING/];

/** True when err says Redis is unreachable (answer 503), not that a command was wrong. */
export function isRedisUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, message, code } = err as { name?: unknown; message?: unknown; code?: unknown };
  if (name === 'QueueUnavailableError' || name === 'MaxRetriesPerRequestError') return true;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return true;
  return typeof message === 'string' && REDIS_DOWN.some((re) => re.test(message));
}

/**
 * BullMQ loses jobs if Redis evicts keys under memory pressure. Returns a problem
 * description when the policy is not `noeviction`, or undefined when all is well.
 * A server that forbids CONFIG (some managed offerings) cannot be checked and passes.
 */
export async function checkEvictionPolicy(redis: Redis): Promise<string | undefined> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch {
    return undefined;
  }
  return policy === 'noeviction' ? undefined : `Redis maxmemory-policy is "${policy}"; BullMQ needs "noeviction" or it can lose jobs`;
}
