import { QUEUE_NAMES } from '@conveyor/contracts';
import { type RedisClient, TaskProducer, createProducerRedis, jobKey, queueKey } from '@conveyor/queue';
import { TEST_REDIS_CLUSTER_NODES, TEST_REDIS_URL, deleteKeysWithPrefix, mastersOfTestRedis, parseClusterNodes, uniquePrefix } from '@conveyor/testkit';
import { Queue } from 'bullmq';
import IORedis, { Cluster, type Redis } from 'ioredis';

// Why the layout is what it is, shown on the cluster itself: each queue's keys share one
// slot, the queues spread over the masters, and the layout without hash tags is refused.

const prefix = uniquePrefix('layout');
let redis: RedisClient;
let producer: TaskProducer;
let masters: Redis[];

beforeAll(async () => {
  redis = createProducerRedis(TEST_REDIS_URL, parseClusterNodes(TEST_REDIS_CLUSTER_NODES ?? ''));
  masters = await mastersOfTestRedis(redis);
  producer = new TaskProducer(redis, prefix);
});
afterAll(async () => {
  await producer.close();
  redis.disconnect();
  await deleteKeysWithPrefix(prefix);
});

it('runs on a three-master cluster, and a plain client of REDIS_URL is no way round it', async () => {
  expect(redis).toBeInstanceOf(Cluster);
  expect(masters).toHaveLength(3);
  const plain = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    expect(await plain.cluster('INFO')).toMatch(/cluster_state:ok/);
    // The monitoring queue (the end-to-end and fault tests') lives elsewhere.
    await expect(plain.exists(queueKey(prefix, 'monitoring', 'wait'))).rejects.toThrow(/MOVED/);
  } finally {
    plain.disconnect();
  }
});

it('puts each queue in one slot, and the queues on more than one master', async () => {
  await producer.enqueueMany(QUEUE_NAMES.map((queue, i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, task: 'layout', queue })));
  const holders = new Map<string, string>();
  for (const [i, queue] of QUEUE_NAMES.entries()) {
    const keys = [
      queueKey(prefix, queue, 'wait'),
      queueKey(prefix, queue, 'meta'),
      queueKey(prefix, queue, 'id'),
      jobKey(prefix, queue, `00000000-0000-4000-8000-00000000000${i}`),
    ];
    expect(keys[0]).toBe(`${prefix}:{${queue}}:${queue}:wait`);
    const slots = await Promise.all(keys.map(async (key) => Number(await masters[0]!.cluster('KEYSLOT', key))));
    expect(new Set(slots).size).toBe(1);
    // Exactly one master holds the queue's keys, all of them; the others answer MOVED.
    const holding = [];
    for (const master of masters) if ((await existing(master, keys)) === keys.length) holding.push(`${master.options.host}:${master.options.port}`);
    expect(holding).toHaveLength(1);
    holders.set(queue, holding[0]!);
  }
  expect(new Set(holders.values()).size).toBeGreaterThan(1);
});

it('would be refused with CROSSSLOT under the old layout (one prefix for every queue, no hash tag)', async () => {
  const old = new Queue('scraping', { connection: redis, prefix });
  old.on('error', () => undefined);
  try {
    await expect(old.add('layout', { task_id: 'x' }, { jobId: 'x' })).rejects.toThrow(/CROSSSLOT/);
  } finally {
    await old.close();
  }
});

/** How many of keys (of one slot) this node holds; 0 when the slot is another node's. */
function existing(node: Redis, keys: string[]): Promise<number> {
  return node.exists(...keys).catch((error: Error) => (/MOVED/.test(error.message) ? 0 : Promise.reject(error)));
}
