import IORedis from 'ioredis';
import { type AppStack, type PrivateServer, freePort, startPrivateRedis } from '@conveyor/testkit';
import { Client, FAST_STALLS, createStack } from './support';

// Fault 4: Redis loses its data (FLUSHALL) with tasks queued and running. The reconciler
// re-enqueues every task that is not finished, and all of them complete.

let redis: PrivateServer;
let stack: AppStack;
let client: Client;
beforeAll(async () => {
  redis = await startPrivateRedis();
  stack = await createStack({ redisUrl: redis.url, env: { ...FAST_STALLS, RECONCILE_INTERVAL_MS: '500', RECONCILE_GRACE_MS: '1000' } });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  await stack.start('worker-monitoring', await freePort(), { WORKER_CONCURRENCY: '5' });
  await stack.start('scheduler', await freePort());
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('flush')).api_key);
}, 300_000);
afterAll(async () => {
  await stack.stop();
  await redis.destroy();
}, 30_000);

it('after FLUSHALL every queued and running task is re-enqueued and completes', async () => {
  // One batch, so that all 30 are queued at once: submitted one by one on a busy machine, the
  // first had finished before the last was in, and a wait for it to be running never ended.
  // 2 s each, five at a time: 12 s of work, of which the flush below, once the first task has
  // been taken, leaves most queued or running.
  const tasks = Array.from({ length: 30 }, (_, i) => ({ task: 'test_task', payload: { message: `m${i}`, steps: 4, step_ms: 500 } }));
  const batch = await client.call('POST', '/tasks/batch', { tasks });
  expect(batch.status).toBe(202);
  const ids: string[] = batch.body.tasks.map((t: { task_id: string }) => t.task_id);
  await client.waitForStatus(ids[0]!, ['STARTED', 'PROGRESS', 'SUCCESS']);
  const admin = new IORedis(redis.url);
  // The apps keep writing (worker heartbeats, BullMQ's stall checks), so the key count right
  // after the flush need not be 0: a busy run once found the two keys of a heartbeat there.
  expect(await admin.flushall()).toBe('OK');
  admin.disconnect();

  const views = [];
  for (const id of ids) views.push(await client.waitForStatus(id, ['SUCCESS', 'FAILURE'], 60_000));
  expect(views.every((v) => v.status === 'SUCCESS')).toBe(true);
  // Some were running or queued when their jobs vanished: they needed the reconciler.
  expect(stack.processes.find((p) => p.output().includes('"service":"scheduler"'))!.output()).toMatch(
    /re-enqueued a queued task whose job was missing|requeued a running task/,
  );
}, 120_000);
