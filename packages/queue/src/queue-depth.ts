import type { RedisClient } from './redis';
import { queueKey } from './queue-keys';

/** The states of a queue's jobs that BullMQ keeps as lists or sorted sets, and which it is. */
const STATES = { wait: 'list', active: 'list', paused: 'list', prioritized: 'zset', delayed: 'zset', failed: 'zset' } as const;
export type QueueState = keyof typeof STATES;

/**
 * How many jobs of a queue are in each state, read in one pipeline (every key of a queue
 * shares its hash tag, so this works on a Redis Cluster too). Finished jobs are not kept.
 */
export async function readQueueDepth(redis: RedisClient, prefix: string, queue: string): Promise<Record<QueueState, number>> {
  const pipeline = redis.pipeline();
  for (const [state, type] of Object.entries(STATES)) {
    const key = queueKey(prefix, queue, state);
    if (type === 'list') pipeline.llen(key);
    else pipeline.zcard(key);
  }
  const results = (await pipeline.exec()) ?? [];
  const depth = {} as Record<QueueState, number>;
  Object.keys(STATES).forEach((state, i) => {
    const [error, count] = results[i] ?? [new Error('no reply')];
    if (error) throw error;
    depth[state as QueueState] = Number(count);
  });
  return depth;
}
