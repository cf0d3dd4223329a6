import { freePort, waitFor } from '@conveyor/testkit';
import type { AppStack, RunningProcess } from '@conveyor/testkit';
import { Client, FAULT_WORKER, createStack } from './support';

// Fault 7: a task past its hard limit. The attempt is failed (transient, so retried) and
// its late result, when it finally comes, does not overwrite the task: the worker offers it
// to the compare-and-set, which refuses it. Attempt 1 ignores its signal and returns 4.5 s
// after it started; by then attempt 2 (started ~3 s in, running 2.8 s) most likely owns the
// row, so the attempt number is what fences the late result off.

// Last, the soft limit: a handler that watches its signal sees it fire and stops.

const OVERRIDES = JSON.stringify({ test_task: { attempts: 2, softTimeoutMs: 300, hardTimeoutMs: 3000, backoff: { baseMs: 50, maxMs: 50 } } });
let worker: RunningProcess;
let stack: AppStack;
let client: Client;
beforeAll(async () => {
  stack = await createStack({ env: { TASK_OVERRIDES: OVERRIDES } });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  worker = await stack.start(FAULT_WORKER, await freePort());
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('hard')).api_key);
}, 300_000);
afterAll(() => stack.stop(), 30_000);

it('the late result of an attempt abandoned at its hard limit never overwrites the task', async () => {
  const { body } = await client.submit('test_task', { message: 'ignore-abort:4500:1:2800' });
  const id = body.task_id as string;
  const done = await client.waitForStatus(id, ['SUCCESS', 'FAILURE'], 20_000);
  expect(done).toMatchObject({ status: 'SUCCESS', attempts: 2 });
  expect(done.attempt_history).toEqual([
    expect.objectContaining({ attempt: 1, outcome: 'retry', error: expect.objectContaining({ type: 'HardTimeLimitError' }) }),
    expect.objectContaining({ attempt: 2, outcome: 'success' }),
  ]);
  // Attempt 1's late result went to the compare-and-set, which refused it.
  await waitFor(
    async () => (worker.output().includes('the compare-and-set refused it') ? true : undefined),
    'the late result to be offered and refused',
    10_000,
  );
  expect(worker.output()).not.toContain('should have refused it');
  expect((await client.call('GET', `/tasks/${id}/result`)).body).toEqual({ task_id: id, status: 'SUCCESS', result: { echo: 'result of attempt 2' } });
}, 30_000);

it('a handler past its soft limit sees its signal fire, stops, and the attempt counts as a transient failure', async () => {
  const { body } = await client.submit('test_task', { message: 'watch-abort:10000' });
  const id = body.task_id as string;
  const done = await client.waitForStatus(id, ['SUCCESS', 'FAILURE'], 20_000);
  expect(done).toMatchObject({ status: 'FAILURE', attempts: 2 });
  expect(done.attempt_history.map((a: { outcome: string; error: { type: string } | null }) => [a.outcome, a.error?.type])).toEqual([
    ['retry', 'SoftTimeLimitError'],
    ['failure', 'SoftTimeLimitError'],
  ]);
  const sawAbort = worker
    .output()
    .split('\n')
    .filter((l) => l.includes('handler saw its abort') && l.includes(id));
  expect(sawAbort.map((l) => JSON.parse(l).reason)).toEqual(['SoftTimeLimitError', 'SoftTimeLimitError']);
}, 30_000);
