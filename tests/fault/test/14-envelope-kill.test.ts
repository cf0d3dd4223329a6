import { freePort, waitFor } from '@conveyor/testkit';
import type { AppStack, RunningProcess } from '@conveyor/testkit';
import { Client, FAST_STALLS, FAULT_WORKER, createStack } from './support';

// Fault 14: kill -9 a worker in the middle of an envelope (a batch's tasks in one BullMQ job).
// The envelope comes back from its stall on the other worker, which does not run it again as
// a whole: each task reaches SUCCESS once, with its lost attempt recorded, as a single job's.

let stack: AppStack;
let client: Client;
const workers: RunningProcess[] = [];

beforeAll(async () => {
  stack = await createStack({ env: FAST_STALLS });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  for (let i = 0; i < 2; i += 1) workers.push(await stack.start(FAULT_WORKER, await freePort()));
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('envelope-kill')).api_key);
}, 300_000);
afterAll(() => stack.stop(), 30_000);

it('the tasks of an envelope whose worker is killed each finish once on the other worker, their lost attempts counted', async () => {
  const tasks = Array.from({ length: 6 }, (_, i) => ({ task: 'test_task', payload: { message: `member ${i}`, steps: 10, step_ms: 300 } }));
  const { status, body } = await client.call('POST', '/tasks/batch', { tasks });
  expect(status).toBe(202);
  const ids = (body.tasks as { task_id: string }[]).map((t) => t.task_id);
  for (const id of ids) await client.waitForStatus(id, ['PROGRESS']);
  // One worker took the envelope: it runs every task of it.
  const victim = workers.find((w) => ids.every((id) => w.output().includes(id)))!;
  expect(victim).toBeDefined();
  victim.child.kill('SIGKILL');
  expect(await victim.exited).toBe('SIGKILL');

  for (const id of ids) {
    const done = await client.waitForStatus(id, ['SUCCESS', 'FAILURE'], 60_000);
    expect(done).toMatchObject({ status: 'SUCCESS', attempts: 2 });
    expect(done.attempt_history.map((a: { outcome: string }) => a.outcome)).toEqual(['lost', 'success']);
  }
  const survivor = workers.find((w) => w !== victim)!;
  expect(survivor.output()).toContain('envelope back after its worker stopped');
  // Exactly one attempt of each task produced a result, across both workers' logs. A worker
  // logs an attempt's end just after it records the status the polls above saw: the lines
  // may still be on their way.
  const endsOf = (id: string) =>
    workers
      .flatMap((w) => w.output().split('\n'))
      .filter((l) => l.includes('"message":"attempt ended"') && l.includes(id))
      .map((l) => JSON.parse(l).outcome);
  await waitFor(async () => (ids.every((id) => endsOf(id).length > 0) ? true : undefined), "every task's attempt to be logged as ended", 60_000);
  for (const id of ids) expect(endsOf(id)).toEqual(['success']);
}, 120_000);
