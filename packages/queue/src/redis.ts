import IORedis, { type Redis } from 'ioredis';

/** A command fails at once while Redis is unreachable, instead of queueing in memory. */
const FAIL_FAST = { enableOfflineQueue: false, maxRetriesPerRequest: 1 } as const;

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
  return new IORedis(url, { ...FAIL_FAST, connectionName: 'conveyor-producer' });
}

/**
 * A producer-style connection (fails fast when Redis is down) whose commands issued in the
 * same turn of the event loop go out as one pipeline: for many small independent commands,
 * such as the API's rate-limit counters (one per request). Not for BullMQ, whose own
 * connections send their commands one by one.
 */
export function createPipelinedRedis(url: string): Redis {
  return new IORedis(url, { ...FAIL_FAST, enableAutoPipelining: true, connectionName: 'conveyor-counters' });
}

const REDIS_DOWN = [
  /enableOfflineQueue/i,
  /Connection is closed/i,
  /ECONNREFUSED/,
  /ECONNRESET/,
  /max retries per request/i,
  /Redis is not connected/i,
  /LOADING/,
];

/** True when err says Redis is unreachable (answer 503), not that a command was wrong. */
export function isRedisUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, message, code } = err as { name?: unknown; message?: unknown; code?: unknown };
  if (name === 'QueueUnavailableError' || name === 'MaxRetriesPerRequestError') return true;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return true;
  return typeof message === 'string' && REDIS_DOWN.some((re) => re.test(message));
}

export type EvictionCheck =
  | { ok: true }
  /** The policy lets Redis evict keys: BullMQ can lose jobs. */
  | { ok: false; problem: string }
  /** The server would not say (INFO refused): nothing could be read. */
  | { ok: 'unknown'; problem: string };

/**
 * BullMQ loses jobs if Redis evicts keys under memory pressure: reads maxmemory_policy from
 * INFO (which managed offerings that forbid CONFIG still answer) and says whether it is
 * `noeviction`. A server that will not tell is reported as unknown, not passed in silence.
 */
export async function checkEvictionPolicy(redis: Redis): Promise<EvictionCheck> {
  let info: string;
  try {
    info = await redis.info('memory');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: 'unknown', problem: `could not read Redis' maxmemory-policy (${reason}); make sure it is "noeviction", or BullMQ can lose jobs` };
  }
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (!policy) return { ok: 'unknown', problem: `Redis' INFO does not show maxmemory_policy; make sure it is "noeviction", or BullMQ can lose jobs` };
  return policy === 'noeviction'
    ? { ok: true }
    : { ok: false, problem: `Redis maxmemory-policy is "${policy}"; BullMQ needs "noeviction" or it can lose jobs` };
}
