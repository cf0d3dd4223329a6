import { freePort } from '@conveyor/testkit';
import type { AppStack } from '@conveyor/testkit';
import { Client, FAULT_WORKER, createStack } from './support';

// Fault 7: a task past its hard limit. The attempt is failed (transient, so retried) and
// its late result, when it finally comes, does not overwrite the task.

const OVERRIDES = JSON.stringify({ test_task: { attempts: 2, softTimeoutMs: 300, hardTimeoutMs: 800, backoff: { baseMs: 50, maxMs: 50 } } });
let stack: AppStack;
let client: Client;
beforeAll(async () => {
  stack = await createStack({ env: { TASK_OVERRIDES: OVERRIDES } });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  await stack.start(FAULT_WORKER, await freePort());
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('hard')).api_key);
}, 60_000);
afterAll(() => stack.stop(), 30_000);

it('the late result of an attempt abandoned at its hard limit never overwrites the task', async () => {
  const { body } = await client.submit('test_task', { message: 'ignore-abort:2500:1' });
  const id = body.task_id as string;
  const done = await client.waitForStatus(id, ['SUCCESS', 'FAILURE'], 20_000);
  expect(done).toMatchObject({ status: 'SUCCESS', attempts: 2 });
  expect(done.attempt_history).toEqual([
    expect.objectContaining({ attempt: 1, outcome: 'retry', error: expect.objectContaining({ type: 'HardTimeLimitError' }) }),
    expect.objectContaining({ attempt: 2, outcome: 'success' }),
  ]);
  // Attempt 1's handler finishes 2.5 s after it started; wait past that and look again.
  await new Promise((r) => setTimeout(r, 2500));
  expect((await client.call('GET', `/tasks/${id}/result`)).body).toEqual({ task_id: id, status: 'SUCCESS', result: { echo: 'result of attempt 2' } });
}, 30_000);
