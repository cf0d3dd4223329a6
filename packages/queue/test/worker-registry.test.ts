import { createTestRedis, deleteKeysWithPrefix, startPrivateRedis, uniquePrefix, waitFor } from '@conveyor/testkit';
import { WorkerRegistration, type WorkerRegistrationOptions, createWorkerRedis, listWorkers, workersIndexKey } from '../src';

// The worker registry on a real Redis (the test cluster's when TEST_REDIS_CLUSTER_NODES is
// set): entries appear, refresh, leave on stop, and an index member whose entry expired is
// pruned on read.

const prefix = uniquePrefix('workers');
const redis = createTestRedis();
const registrations: WorkerRegistration[] = [];
afterAll(async () => {
  for (const r of registrations) await r.stop();
  redis.disconnect();
  await deleteKeysWithPrefix(prefix);
});

function register(options: Partial<WorkerRegistrationOptions> & { instance: string }): WorkerRegistration {
  const registration = new WorkerRegistration({
    redis,
    prefix,
    queue: 'monitoring',
    concurrency: 4,
    version: '1.2.3',
    active: () => 0,
    heartbeatMs: 5000,
    ...options,
  });
  registrations.push(registration);
  return registration;
}

it('lists each live worker with its queue, concurrency, active jobs, times and version, by queue then instance', async () => {
  await register({ instance: 'w-b', queue: 'scraping' }).start();
  await register({ instance: 'w-a', queue: 'scraping', concurrency: 2 }).start();
  await register({ instance: 'w-c' }).start();
  const workers = await listWorkers(redis, prefix);
  expect(workers.map((w) => `${w.queue}/${w.instance}`)).toEqual(['monitoring/w-c', 'scraping/w-a', 'scraping/w-b']);
  expect(workers[1]).toEqual({
    instance: 'w-a',
    queue: 'scraping',
    concurrency: 2,
    active: 0,
    heartbeat_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    version: '1.2.3',
  });
  // Another deployment's prefix sees none of them.
  expect(await listWorkers(redis, `${prefix}-other`)).toEqual([]);
});

it('refreshes the entry at each heartbeat (active jobs, heartbeat time) and keeps its expiry at three heartbeats', async () => {
  let active = 0;
  const registration = register({ instance: 'w-beat', heartbeatMs: 100, active: () => active });
  await registration.start();
  const first = (await listWorkers(redis, prefix)).find((w) => w.instance === 'w-beat')!;
  active = 3;
  const later = await waitFor(
    async () => (await listWorkers(redis, prefix)).find((w) => w.instance === 'w-beat' && w.active === 3),
    'a heartbeat with 3 active',
  );
  expect(later.heartbeat_at > first.heartbeat_at).toBe(true);
  expect(later.started_at).toBe(first.started_at);
  expect(await redis.pttl(`${prefix}:{workers}:worker:w-beat`)).toBeLessThanOrEqual(300);
});

it('removes the entry on stop', async () => {
  const registration = register({ instance: 'w-stop' });
  await registration.start();
  expect((await listWorkers(redis, prefix)).map((w) => w.instance)).toContain('w-stop');
  await registration.stop();
  expect((await listWorkers(redis, prefix)).map((w) => w.instance)).not.toContain('w-stop');
  expect(await redis.zscore(workersIndexKey(prefix), 'w-stop')).toBeNull();
});

it('prunes an index member whose entry expired (a worker killed without stopping) when it lists', async () => {
  await redis.zadd(workersIndexKey(prefix), Date.now(), 'w-killed');
  expect((await listWorkers(redis, prefix)).map((w) => w.instance)).not.toContain('w-killed');
  expect(await redis.zscore(workersIndexKey(prefix), 'w-killed')).toBeNull();
});

it('stops without waiting on a Redis that went away: the entry is left to expire', async () => {
  const server = await startPrivateRedis();
  const connection = createWorkerRedis(server.url);
  try {
    const registration = new WorkerRegistration({
      redis: connection,
      prefix,
      instance: 'w-gone',
      queue: 'monitoring',
      concurrency: 1,
      version: '1',
      active: () => 0,
      heartbeatMs: 50,
    });
    await registration.start();
    await server.crash();
    // A worker connection waits for Redis forever; stop() gives up after its bound (the jest timeout only stops a hang).
    await registration.stop(100);
  } finally {
    connection.disconnect();
    await server.destroy();
  }
});
