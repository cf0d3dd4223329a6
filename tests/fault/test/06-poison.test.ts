import { freePort } from '@conveyor/testkit';
import type { AppStack, RunningProcess } from '@conveyor/testkit';
import { Client, FAST_STALLS, FAULT_WORKER, createStack } from './support';

// Fault 6: a poison task that always throws, and one that crashes its process. Each ends
// FAILURE in the dead-letter table after its attempts; other tasks keep flowing.

const OVERRIDES = JSON.stringify({ test_task: { attempts: 3, backoff: { baseMs: 50, maxMs: 100 } } });
let stack: AppStack;
let client: Client;
let admin: Client;
let supervising = true;
const crashes: number[] = [];

/** Restarts a worker whenever it dies, as a process supervisor (Kubernetes, systemd) would. */
async function supervise(port: number): Promise<void> {
  let worker: RunningProcess = await stack.start(FAULT_WORKER, port);
  void (async () => {
    while (supervising) {
      await worker.exited;
      if (!supervising) return;
      crashes.push(Date.now());
      try {
        worker = await stack.start(FAULT_WORKER, port);
      } catch (error) {
        // The stack stopped while a restart was under way (restarts are slow on a busy machine):
        // that start was cut short on purpose. Any other failed restart fails the test file.
        if (!supervising) return;
        throw error;
      }
    }
  })();
}

beforeAll(async () => {
  stack = await createStack({ env: { ...FAST_STALLS, TASK_OVERRIDES: OVERRIDES } });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  await supervise(await freePort());
  await supervise(await freePort());
  const base = `http://127.0.0.1:${apiPort}`;
  client = new Client(base, (await stack.createTenant('poison')).api_key);
  admin = new Client(base, await stack.createAdminKey());
}, 300_000);
afterAll(async () => {
  supervising = false;
  await stack.stop();
}, 30_000);

it('a task that always throws is retried, then fails into the dead-letter table', async () => {
  const { body } = await client.submit('test_task', { message: 'throw' });
  const view = await client.waitForStatus(body.task_id, ['FAILURE'], 30_000);
  expect(view).toMatchObject({ attempts: 3, max_attempts: 3 });
  expect(view.attempt_history.map((a: { outcome: string }) => a.outcome)).toEqual(['retry', 'retry', 'failure']);
  const dead = await admin.call('GET', '/admin/dead-letters');
  expect(dead.body.dead_letters).toContainEqual(
    expect.objectContaining({ task_id: body.task_id, attempts: 3, error: { type: 'Error', message: 'poison: this task always throws' } }),
  );
}, 60_000);

it('a task that crashes its worker every time fails after its attempts while other tasks keep flowing', async () => {
  const before = crashes.length;
  // Innocent tasks running beside it when it first crashes its worker: they lose that
  // attempt, but it is not theirs to pay for, and the crashing task then runs alone.
  const innocent = await Promise.all(Array.from({ length: 6 }, (_, i) => client.submit('test_task', { message: `innocent-${i}`, steps: 10, step_ms: 200 })));
  const { body } = await client.submit('test_task', { message: 'crash' });
  const healthy: string[] = [];
  const flow = (async () => {
    for (let i = 0; i < 15; i += 1) {
      healthy.push((await client.submit('ping')).body.task_id);
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  // Each crash costs a stall check and a restart of the crashed worker, and a restart on a
  // busy machine takes tens of seconds: this bounds a crash loop that never ends, not its speed.
  const view = await client.waitForStatus(body.task_id, ['FAILURE'], 240_000);
  await flow;
  expect(crashes.length - before).toBe(3);
  expect((await client.call('GET', `/tasks/${body.task_id}/result`)).body).toMatchObject({ status: 'FAILURE', error: { type: 'AttemptsExhausted' } });
  expect(view.attempt_history.map((a: { outcome: string }) => a.outcome)).toEqual(['lost', 'lost', 'lost', 'failure']);
  const dead = await admin.call('GET', '/admin/dead-letters');
  expect(dead.body.dead_letters).toContainEqual(
    expect.objectContaining({ task_id: body.task_id, error: expect.objectContaining({ type: 'AttemptsExhausted' }) }),
  );
  // Other tasks kept flowing while it crashed workers: pings finished between its first
  // crash and its end, not only after it was out of the way.
  const firstCrash = crashes[before]!;
  const poisonEnded = Date.parse(view.finished_at);
  const pingsDone = await Promise.all(healthy.map((id) => client.waitForStatus(id, ['SUCCESS'], 30_000)));
  const duringCrashLoop = pingsDone.filter((p) => Date.parse(p.finished_at) > firstCrash && Date.parse(p.finished_at) < poisonEnded);
  expect(duringCrashLoop.length).toBeGreaterThanOrEqual(3);
  for (const { body: t } of innocent) {
    const done = await client.waitForStatus(t.task_id, ['SUCCESS', 'FAILURE'], 30_000);
    const outcomes = done.attempt_history.map((a: { outcome: string }) => a.outcome);
    expect(done.status).toBe('SUCCESS');
    expect(outcomes.filter((o: string) => o === 'lost').length).toBeLessThanOrEqual(1);
  }
}, 360_000);

it('a dead letter replayed by an admin runs again', async () => {
  const { body } = await client.submit('test_task', { message: 'throw' });
  await client.waitForStatus(body.task_id, ['FAILURE'], 30_000);
  const replay = await admin.call('POST', '/admin/dead-letters/replay', { task_ids: [body.task_id] });
  expect(replay.body).toMatchObject({ replayed: 1, enqueued: true });
  const view = await client.waitForStatus(body.task_id, ['FAILURE'], 30_000);
  expect(view).toMatchObject({ attempts: 6, max_attempts: 6 });
}, 60_000);
