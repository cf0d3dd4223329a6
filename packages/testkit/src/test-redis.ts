import { randomBytes } from 'node:crypto';
import IORedis, { Cluster, type Redis } from 'ioredis';
import { TEST_REDIS_CLUSTER_NODES, TEST_REDIS_URL } from './env';

/** A BullMQ prefix no other test file uses, so files can run in parallel on one Redis. */
export function uniquePrefix(label = 'test'): string {
  return `t-${label}-${randomBytes(5).toString('hex')}`;
}

/** `host:port,…` as ioredis' cluster seeds. */
export function parseClusterNodes(nodes: string): { host: string; port: number }[] {
  return nodes.split(',').map((node) => {
    const colon = node.lastIndexOf(':');
    return { host: node.slice(0, colon).trim(), port: Number(node.slice(colon + 1)) };
  });
}

/**
 * A plain client of the tests' Redis: the cluster of TEST_REDIS_CLUSTER_NODES when set (for
 * TEST_REDIS_URL), otherwise the server at url.
 */
export function createTestRedis(url = TEST_REDIS_URL, clusterNodes = url === TEST_REDIS_URL ? TEST_REDIS_CLUSTER_NODES : undefined): Redis | Cluster {
  if (clusterNodes) return new Cluster(parseClusterNodes(clusterNodes), { redisOptions: { maxRetriesPerRequest: 1 } });
  return new IORedis(url, { maxRetriesPerRequest: 1 });
}

/** The servers holding data: the one server, or every master of the cluster once it is ready. */
export async function mastersOfTestRedis(redis: Redis | Cluster): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.status !== 'ready') await new Promise((resolve, reject) => (redis.once('ready', resolve), redis.once('error', reject)));
  return redis.nodes('master');
}

/**
 * Deletes every key under a prefix (what a test file's queues left behind). On a cluster SCAN
 * sees one node's keys only, so every master is scanned, and keys are deleted one by one (a
 * multi-key UNLINK across slots is refused).
 */
export async function deleteKeysWithPrefix(prefix: string, url = TEST_REDIS_URL, clusterNodes?: string): Promise<void> {
  // clusterNodes undefined: createTestRedis's default (the test cluster, for TEST_REDIS_URL).
  const redis = createTestRedis(url, clusterNodes);
  try {
    for (const node of await mastersOfTestRedis(redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await (redis instanceof Cluster ? Promise.all(keys.map((key) => node.unlink(key))) : node.unlink(...keys));
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
