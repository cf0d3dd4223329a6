import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { TEST_REDIS_URL } from './env';

/** A BullMQ prefix no other test file uses, so files can run in parallel on one Redis. */
export function uniquePrefix(label = 'test'): string {
  return `t-${label}-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key under a prefix (what a test file's queues left behind). */
export async function deleteKeysWithPrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new IORedis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
