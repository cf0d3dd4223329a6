import { PassThrough } from 'node:stream';
import { createLogger } from '@conveyor/observability';
import type { TaskContext } from '@conveyor/queue';
import { ping } from '../src/handlers/ping';
import { testTask } from '../src/handlers/test-task';

function context(signal = new AbortController().signal, attempt = 1) {
  const reports: [number, string | undefined][] = [];
  const lines: [string, string, unknown][] = [];
  const ctx: TaskContext = {
    taskId: 't',
    tenantId: 'x',
    attempt,
    finalAttempt: false,
    signal,
    logger: createLogger({ service: 'test', stream: new PassThrough() }),
    progress: async (percent, message) => void reports.push([percent, message]),
    log: (level, message, fields) => void lines.push([level, message, fields]),
  };
  return { ctx, reports, lines };
}

describe('monitoring handlers', () => {
  it('ping answers pong', async () => {
    expect(await ping({}, context().ctx)).toBe('pong');
  });

  it('test_task reports each step and echoes the message', async () => {
    const { ctx, reports, lines } = context();
    expect(await testTask({ message: 'hello', steps: 4, step_ms: 1 }, ctx)).toEqual({ echo: 'hello' });
    expect(lines.map(([level, message]) => [level, message])).toEqual([1, 2, 3, 4].map((step) => ['info', `step ${step} of 4`]));
    expect(reports).toEqual([
      [25, 'step 1 of 4'],
      [50, 'step 2 of 4'],
      [75, 'step 3 of 4'],
      [100, 'step 4 of 4'],
    ]);
  });

  it('test_task fails its first fail_attempts attempts with a transient error, then echoes', async () => {
    const payload = { message: 'again', steps: 1, step_ms: 0, fail_attempts: 2 };
    await expect(testTask(payload, context(undefined, 1).ctx)).rejects.toThrow('attempt 1 fails on purpose (fail_attempts: 2)');
    await expect(testTask(payload, context(undefined, 2).ctx)).rejects.toThrow('attempt 2 fails on purpose');
    expect(await testTask(payload, context(undefined, 3).ctx)).toEqual({ echo: 'again' });
  });

  it('test_task stops when its signal fires', async () => {
    const controller = new AbortController();
    const { ctx, reports } = context(controller.signal);
    const run = testTask({ message: 'x', steps: 10, step_ms: 1000 }, ctx);
    controller.abort();
    await expect(run).rejects.toThrow(/abort/i);
    expect(reports).toEqual([]);
  });
});
