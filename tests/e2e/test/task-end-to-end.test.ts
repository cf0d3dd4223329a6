import { freePort, waitFor } from '@conveyor/testkit';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack } from '@conveyor/testkit';
import type { Conveyor } from '@conveyor/client';
import { type Json, clientOf } from './support';

let stack: AppStack;
let conveyor: Conveyor;
let workerPort: number;

beforeAll(async () => {
  stack = await AppStack.create({ template: { key: schemaFingerprint(), migrate: migrateUrl } });
  const apiPort = await freePort();
  workerPort = await freePort();
  await Promise.all([stack.start('api', apiPort), stack.start('worker-monitoring', workerPort)]);
  conveyor = clientOf(apiPort, (await stack.createTenant('e2e')).api_key);
}, 300_000);
afterAll(() => stack.stop(), 30_000);

describe('a task from HTTP to a worker process and back', () => {
  it('runs test_task to SUCCESS, with progress seen while polling', async () => {
    const submitted = await conveyor.tasks.submit('test_task', { message: 'end to end', steps: 5, step_ms: 150 });
    expect(submitted.created).toBe(true);
    const id = submitted.id;

    const seen: { status: string; progress: number }[] = [];
    const final = await waitFor(
      async () => {
        const task = await conveyor.tasks.get(id);
        seen.push({ status: task.status, progress: task.progress });
        return task.status === 'SUCCESS' || task.status === 'FAILURE' ? task : undefined;
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

    expect(await conveyor.tasks.result(id)).toEqual({ task_id: id, status: 'SUCCESS', result: { echo: 'end to end' }, error: null });
  });

  it('answers ping with pong through the /tasks/test shortcut and the jobs alias', async () => {
    const ping = await conveyor.tasks.submit('ping', {});
    expect(await conveyor.tasks.wait(ping.id, { timeoutMs: 20_000 })).toMatchObject({ status: 'SUCCESS', result: 'pong' });

    // Neither route has a typed method: the shortcut makes a test_task, the alias reads a task.
    const test = await conveyor.request<Json>('POST', '/tasks/test', { query: { message: 'Hello' } });
    // Created (202), not an earlier task's answer (200), which says so in its message.
    expect(test).toMatchObject({ task_id: expect.any(String), message: expect.stringMatching(/^Task accepted/) });
    const done = await waitFor(
      async () => {
        const body = await conveyor.request<Json>('GET', `/jobs/${test.task_id as string}/status`);
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
    const held = await conveyor.tasks.submit('ping', {}, { delayMs: 3_600_000 });
    expect(held.created).toBe(true);
    expect(await depth('delayed')).toBe(before! + 1);
    expect(await depth('wait')).toEqual(expect.any(Number));
    expect(await conveyor.tasks.cancel(held.id)).toMatchObject({ task_id: held.id, status: 'REVOKED' });
    expect(await depth('delayed')).toBe(before);
  });
});
