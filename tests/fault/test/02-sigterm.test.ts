import { TEST_REDIS_URL, freePort } from '@conveyor/testkit';
import type { AppStack } from '@conveyor/testkit';
import { queueKey } from '@conveyor/queue';
import IORedis from 'ioredis';
import { Client, FAST_STALLS, createStack } from './support';

// Fault 2: SIGTERM during active tasks. They finish, none is reported stalled, none is lost;
// and past the grace period what is left is released to another worker at once.

let stack: AppStack;
let client: Client;
beforeAll(async () => {
  stack = await createStack();
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('sigterm')).api_key);
}, 300_000);
afterAll(() => stack.stop(), 30_000);

/** The events BullMQ recorded in the monitoring queue's event stream (any worker's). */
async function queueEvents(): Promise<string[]> {
  const redis = new IORedis(TEST_REDIS_URL);
  try {
    const entries = await redis.xrange(queueKey(stack.prefix, 'monitoring', 'events'), '-', '+');
    return entries.map(([, fields]) => fields[fields.indexOf('event') + 1]!);
  } finally {
    redis.disconnect();
  }
}

/** The monitoring queue's jobs in one BullMQ state, read from Redis. */
async function jobsIn(state: 'active' | 'wait'): Promise<string[]> {
  const redis = new IORedis(TEST_REDIS_URL);
  try {
    return await redis.lrange(queueKey(stack.prefix, 'monitoring', state), 0, -1);
  } finally {
    redis.disconnect();
  }
}

it('SIGTERM lets the active tasks finish before the worker exits 0', async () => {
  // Locks of 2 s checked every second: a job left active without its worker would be reported
  // stalled by the watcher below within ~3 s.
  const worker = await stack.start('worker-monitoring', await freePort(), FAST_STALLS);
  const ids: string[] = [];
  for (let i = 0; i < 5; i += 1) ids.push((await client.submit('test_task', { message: `drain-${i}`, steps: 6, step_ms: 250 })).body.task_id);
  await Promise.all(ids.map((id) => client.waitForStatus(id, ['PROGRESS'])));
  // A second worker on the queue, idle (nothing waits), whose stall checks run through the drain and after.
  const watcher = await stack.start('worker-monitoring', await freePort(), FAST_STALLS);
  expect(await worker.stop('SIGTERM')).toBe(0);
  await new Promise((r) => setTimeout(r, 4000));
  const events = await queueEvents();
  expect(events).not.toContain('stalled');
  expect(events.filter((e) => e === 'completed')).toHaveLength(5);
  expect(watcher.output()).not.toMatch(/job stalled/);
  await watcher.stop('SIGTERM');
  for (const id of ids) {
    const view = await client.task(id);
    expect(view).toMatchObject({ status: 'SUCCESS', attempts: 1 });
    expect(view.attempt_history.map((a: { outcome: string }) => a.outcome)).toEqual(['success']);
  }
  // Nothing was left active in Redis: no later worker can find a job to report stalled.
  expect(await jobsIn('active')).toEqual([]);
  expect(worker.output()).not.toMatch(/stalled/);
}, 300_000);

it('past the grace period, the tasks left are released and another worker takes them at once', async () => {
  const impatient = await stack.start('worker-monitoring', await freePort(), { SHUTDOWN_GRACE_MS: '500' });
  const { body } = await client.submit('test_task', { message: 'long', steps: 20, step_ms: 250 });
  await client.waitForStatus(body.task_id, ['PROGRESS']);
  expect(await impatient.stop('SIGTERM')).toBe(0);
  expect(await client.task(body.task_id)).toMatchObject({ status: 'RETRY', message: expect.stringMatching(/Released/) });
  // Straight back in the waiting list, not left active for a stall check to find (30 s).
  expect(await jobsIn('active')).toEqual([]);
  expect(await jobsIn('wait')).toContain(body.task_id);

  await stack.start('worker-monitoring', await freePort());
  const done = await client.waitForStatus(body.task_id, ['SUCCESS'], 20_000);
  expect(done.attempt_history.map((a: { outcome: string }) => a.outcome)).toEqual(['released', 'success']);
}, 300_000);
