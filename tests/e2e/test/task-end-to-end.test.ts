import { freePort, waitFor } from '@conveyor/testkit';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack } from '@conveyor/testkit';
import { apiCaller } from './support';

let stack: AppStack;
let call: ReturnType<typeof apiCaller>;
let api: string;
let apiKey: string;
let workerPort: number;

beforeAll(async () => {
  stack = await AppStack.create({ template: { key: schemaFingerprint(), migrate: migrateUrl } });
  const apiPort = await freePort();
  workerPort = await freePort();
  await Promise.all([stack.start('api', apiPort), stack.start('worker-monitoring', workerPort)]);
  api = `http://127.0.0.1:${apiPort}/api/v1`;
  apiKey = (await stack.createTenant('e2e')).api_key;
  call = apiCaller(api, apiKey);
}, 300_000);
afterAll(() => stack.stop(), 30_000);

describe('a task from HTTP to a worker process and back', () => {
  it('runs test_task to SUCCESS, with progress seen while polling', async () => {
    const submitted = await call('POST', '/tasks', { task: 'test_task', payload: { message: 'end to end', steps: 5, step_ms: 150 } });
    expect(submitted.status).toBe(202);
    const id = submitted.body.task_id as string;

    const seen: { status: string; progress: number }[] = [];
    const final = await waitFor(
      async () => {
        const { body } = await call('GET', `/tasks/${id}`);
        seen.push({ status: body.status as string, progress: body.progress as number });
        return body.status === 'SUCCESS' || body.status === 'FAILURE' ? body : undefined;
      },
      'test_task to finish',
      30_000,
      25,
    );
    expect(final).toMatchObject({ status: 'SUCCESS', progress: 100, attempts: 1, message: 'Task completed' });
    const progressSeen = seen.filter((s) => s.status === 'PROGRESS');
    expect(progressSeen.length).toBeGreaterThan(0);
    expect(progressSeen.every((s) => s.progress > 0 && s.progress <= 100)).toBe(true);
    // Progress only moves forward.
    const values = seen.map((s) => s.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));

    const result = await call('GET', `/tasks/${id}/result`);
    expect(result.body).toEqual({ task_id: id, status: 'SUCCESS', result: { echo: 'end to end' } });
  });

  it('answers ping with pong through the /tasks/test shortcut and the jobs alias', async () => {
    const ping = await call('POST', '/tasks', { task: 'ping' });
    const pong = await waitFor(async () => {
      const { body } = await call('GET', `/tasks/${ping.body.task_id as string}/result`);
      return body.status === 'SUCCESS' ? body : undefined;
    }, 'ping');
    expect(pong.result).toBe('pong');

    const test = await call('POST', '/tasks/test?message=Hello');
    expect(test.status).toBe(202);
    const done = await waitFor(
      async () => {
        const { body } = await call('GET', `/jobs/${test.body.task_id as string}/status`);
        return body.status === 'SUCCESS' ? body : undefined;
      },
      'the test task',
      30_000,
    );
    expect(done.task).toBe('test_task');
  });

  it('exposes the worker metrics of the attempts it ran', async () => {
    const text = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('conveyor_task_attempts_finished_total{') && l.includes('task="test_task"') && l.includes('outcome="success"'));
    expect(line).toMatch(/ [1-9]\d*$/);
  });

  it("reports its queue's jobs by state on /metrics, read from Redis at scrape time", async () => {
    const depth = async (state: string) => {
      const text = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('conveyor_queue_jobs{') && l.includes('queue="monitoring"') && l.includes(`state="${state}"`));
      return line === undefined ? undefined : Number(line.split(' ').at(-1));
    };
    const before = await depth('delayed');
    expect(before).toEqual(expect.any(Number));
    // A task held back for an hour waits in BullMQ's delayed set until it is cancelled.
    const held = await call('POST', '/tasks', { task: 'ping', payload: {}, delay_ms: 3_600_000 });
    expect(held.status).toBe(202);
    expect(await depth('delayed')).toBe(before! + 1);
    expect(await depth('wait')).toEqual(expect.any(Number));
    expect((await call('POST', `/tasks/${held.body.task_id as string}/cancel`)).status).toBe(200);
    expect(await depth('delayed')).toBe(before);
  });
});
