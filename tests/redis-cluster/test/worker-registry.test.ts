import { type RedisClient, WorkerRegistration, createWorkerRedis, listWorkers, workersIndexKey } from '@conveyor/queue';
import { TEST_REDIS_CLUSTER_NODES, TEST_REDIS_URL, deleteKeysWithPrefix, parseClusterNodes, uniquePrefix } from '@conveyor/testkit';
import { Cluster } from 'ioredis';

// The worker registry on the cluster: an entry and the index share the slot of {workers}, so
// one MULTI writes both and one pipeline reads every entry; listing needs no KEYS.

const prefix = uniquePrefix('workers');
let redis: RedisClient;
beforeAll(() => {
  redis = createWorkerRedis(TEST_REDIS_URL, parseClusterNodes(TEST_REDIS_CLUSTER_NODES ?? ''));
});
afterAll(async () => {
  redis.disconnect();
  await deleteKeysWithPrefix(prefix);
});

it('registers, lists and removes workers on a three-master cluster, every key in one slot', async () => {
  expect(redis).toBeInstanceOf(Cluster);
  const registrations = ['scraping', 'monitoring', 'analysis'].map(
    (queue, i) => new WorkerRegistration({ redis, prefix, instance: `w-${i}`, queue, concurrency: 2, version: '1', active: () => i, heartbeatMs: 60_000 }),
  );
  for (const r of registrations) await r.start();
  expect((await listWorkers(redis, prefix)).map((w) => [w.queue, w.active])).toEqual([
    ['analysis', 2],
    ['monitoring', 1],
    ['scraping', 0],
  ]);
  const keys = [workersIndexKey(prefix), `${prefix}:{workers}:worker:w-0`, `${prefix}:{workers}:worker:w-2`];
  const slots = await Promise.all(keys.map(async (key) => Number(await (redis as Cluster).cluster('KEYSLOT', key))));
  expect(new Set(slots).size).toBe(1);
  for (const r of registrations) await r.stop();
  expect(await listWorkers(redis, prefix)).toEqual([]);
});
