import { startPrivateRedisCluster } from '@conveyor/testkit';
import { Cluster } from 'ioredis';

// Runs once before every test file of the cluster run: starts the cluster and points the
// tests' Redis at it. The variables set here reach the test files (and the apps they start).
export default async function setup(): Promise<void> {
  const cluster = await startPrivateRedisCluster(3);
  (globalThis as { redisCluster?: typeof cluster }).redisCluster = cluster;
  process.env.TEST_REDIS_CLUSTER_NODES = cluster.nodes;
  // REDIS_URL (the apps get TEST_REDIS_URL) names a node that does not hold the monitoring
  // queue the end-to-end and fault tests use: an app that ignored REDIS_CLUSTER_NODES and
  // talked to REDIS_URL alone would be answered MOVED, and those tests would fail.
  process.env.TEST_REDIS_URL = `redis://127.0.0.1:${await portNotServing(cluster.nodes, '{monitoring}')}`;
}

async function portNotServing(nodes: string, key: string): Promise<number> {
  const client = new Cluster(nodes.split(',').map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
  try {
    const slot = Number(await client.cluster('KEYSLOT', key));
    const owner = client.slots[slot]?.[0];
    const other = nodes.split(',').find((n) => n !== owner);
    if (!owner || !other) throw new Error(`could not tell which node serves slot ${slot}`);
    return Number(other.split(':')[1]);
  } finally {
    client.disconnect();
  }
}
