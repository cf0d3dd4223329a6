import {
  type RedisClient,
  TaskEventPublisher,
  WatchRegistry,
  WatchedTasks,
  cancelChannel,
  checkEvictionPolicy,
  createWorkerRedis,
  duplicateRedis,
  pingEveryMaster,
} from '@conveyor/queue';
import {
  TEST_REDIS_CLUSTER_NODES,
  TEST_REDIS_URL,
  deleteKeysWithPrefix,
  mastersOfTestRedis,
  parseClusterNodes,
  uniquePrefix,
  waitFor,
} from '@conveyor/testkit';
import { Cluster } from 'ioredis';

// What a worker and the API do with Redis besides BullMQ, on a cluster: the eviction check
// and readiness read every master, and revokes and watches travel by pub/sub and one key.

const prefix = uniquePrefix('connections');
let redis: RedisClient;
const others: RedisClient[] = [];

beforeAll(() => {
  redis = createWorkerRedis(TEST_REDIS_URL, parseClusterNodes(TEST_REDIS_CLUSTER_NODES ?? ''));
});
afterAll(async () => {
  for (const client of [...others, redis]) client.disconnect();
  await deleteKeysWithPrefix(prefix);
});

it('checks the eviction policy of every master, and names the one that evicts', async () => {
  expect(await checkEvictionPolicy(redis)).toEqual({ ok: true });
  const masters = await mastersOfTestRedis(redis);
  const last = masters[masters.length - 1]!;
  await last.config('SET', 'maxmemory-policy', 'allkeys-lru');
  try {
    // A worker that just started, seeded with another node only: it reads the masters it learns of, not its seed.
    const seed = masters[0]!;
    const fresh = createWorkerRedis(TEST_REDIS_URL, [{ host: '127.0.0.1', port: seed.options.port! }]);
    others.push(fresh);
    expect(await checkEvictionPolicy(fresh)).toEqual({ ok: false, problem: expect.stringContaining(`(127.0.0.1:${last.options.port}) is "allkeys-lru"`) });
  } finally {
    await last.config('SET', 'maxmemory-policy', 'noeviction');
  }
});

it('is ready when every master answers', async () => {
  await expect(pingEveryMaster(redis)).resolves.toBeUndefined();
});

it('delivers a revoke and a watch to a subscriber on its own cluster connection', async () => {
  const subscriber = duplicateRedis(redis, 'test-subscriber');
  others.push(subscriber);
  expect(subscriber).toBeInstanceOf(Cluster);
  const revoked: string[] = [];
  subscriber.on('message', (channel: string, message: string) => channel === cancelChannel(prefix) && revoked.push(message));
  await subscriber.subscribe(cancelChannel(prefix));
  const watched = new WatchedTasks(redis, prefix);
  await watched.start(subscriber);

  const api = createWorkerRedis(TEST_REDIS_URL, parseClusterNodes(TEST_REDIS_CLUSTER_NODES ?? ''));
  others.push(api);
  const registry = new WatchRegistry(api, prefix);
  try {
    await registry.add('task-1'); // a MULTI of the watched set and an announcement
    await new TaskEventPublisher(api, prefix).publishCancel('task-2');
    await waitFor(async () => (watched.has('task-1') ? true : undefined), 'the watch to reach the worker side');
    await waitFor(async () => (revoked.includes('task-2') ? true : undefined), 'the revoke to arrive');
  } finally {
    watched.close();
    await registry.close();
  }
});
