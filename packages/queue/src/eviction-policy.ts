import { type RedisClient, readyMastersOf } from './redis';

export type EvictionCheck =
  | { ok: true }
  /** The policy lets Redis evict keys: BullMQ can lose jobs. */
  | { ok: false; problem: string }
  /** The server would not say (INFO refused): nothing could be read. */
  | { ok: 'unknown'; problem: string };

/**
 * BullMQ loses jobs if Redis evicts keys under memory pressure: reads maxmemory_policy from
 * INFO (which managed offerings that forbid CONFIG still answer) and says whether it is
 * `noeviction`. On a cluster every master is read, and one that evicts (or will not say)
 * decides. A server that will not tell is reported as unknown, not passed in silence.
 */
export async function checkEvictionPolicy(redis: RedisClient): Promise<EvictionCheck> {
  const masters = await readyMastersOf(redis);
  if (masters.length === 0)
    return {
      ok: 'unknown',
      problem: `no Redis Cluster master is connected to read maxmemory-policy from; make sure it is "noeviction" on every master, or BullMQ can lose jobs`,
    };
  const checks = await Promise.all(masters.map((node) => checkOne(node, masters.length > 1 ? ` (${node.options.host}:${node.options.port})` : '')));
  return checks.find((c) => c.ok === false) ?? checks.find((c) => c.ok === 'unknown') ?? { ok: true };
}

async function checkOne(redis: RedisClient, where: string): Promise<EvictionCheck> {
  let info: string;
  try {
    info = await redis.info('memory');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: 'unknown', problem: `could not read Redis' maxmemory-policy${where} (${reason}); make sure it is "noeviction", or BullMQ can lose jobs` };
  }
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (!policy) return { ok: 'unknown', problem: `Redis' INFO${where} does not show maxmemory_policy; make sure it is "noeviction", or BullMQ can lose jobs` };
  return policy === 'noeviction'
    ? { ok: true }
    : { ok: false, problem: `Redis maxmemory-policy${where} is "${policy}"; BullMQ needs "noeviction" or it can lose jobs` };
}
