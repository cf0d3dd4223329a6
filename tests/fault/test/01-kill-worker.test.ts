import { freePort, waitFor } from '@conveyor/testkit';
import type { AppStack, RunningProcess } from '@conveyor/testkit';
import { Client, FAST_STALLS, createStack } from './support';

// Fault 1: kill -9 a worker in the middle of a task. The task still reaches SUCCESS, with
// exactly one result and two attempts recorded (the lost one and the one that finished).

let stack: AppStack;
let client: Client;
const workers: RunningProcess[] = [];

beforeAll(async () => {
  stack = await createStack({ env: FAST_STALLS });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  for (let i = 0; i < 2; i += 1) workers.push(await stack.start('worker-monitoring', await freePort()));
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('kill9')).api_key);
}, 300_000);
afterAll(() => stack.stop(), 30_000);

it('a task whose worker is killed with SIGKILL finishes on another worker, once', async () => {
  const { body } = await client.submit('test_task', { message: 'survive', steps: 8, step_ms: 300 });
  const id = body.task_id as string;
  await client.waitForStatus(id, ['PROGRESS']);
  const victim = workers.find((w) => w.output().includes(id))!;
  expect(victim).toBeDefined();
  victim.child.kill('SIGKILL');
  expect(await victim.exited).toBe('SIGKILL');

  const done = await client.waitForStatus(id, ['SUCCESS', 'FAILURE'], 30_000);
  expect(done).toMatchObject({ status: 'SUCCESS', attempts: 2 });
  expect(done.attempt_history.map((a: { outcome: string }) => a.outcome)).toEqual(['lost', 'success']);
  expect(done.attempt_history[0].error).toMatchObject({ type: 'WorkerLost', message: expect.stringMatching(/its worker stopped/) });
  expect((await client.call('GET', `/tasks/${id}/result`)).body).toEqual({ task_id: id, status: 'SUCCESS', result: { echo: 'survive' } });
  const survivor = workers.find((w) => w !== victim)!;
  await waitFor(async () => (survivor.output().includes('"message":"attempt ended"') ? true : undefined), 'the survivor to log the attempt');
  // Exactly one attempt produced a result: one successful end across both workers' logs.
  const ends = workers.flatMap((w) => w.output().split('\n')).filter((l) => l.includes('"message":"attempt ended"') && l.includes(id));
  expect(ends.map((l) => JSON.parse(l).outcome)).toEqual(['success']);
}, 60_000);
