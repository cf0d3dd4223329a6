import { PassThrough } from 'node:stream';
import { TASK_LOG_LIMITS, TaskPolicies } from '@conveyor/contracts';
import { type Database, type TaskLogBatch, insertTaskLogs } from '@conveyor/db';
import { createLogger } from '@conveyor/observability';
import { waitFor } from '@conveyor/testkit';
import type { Kysely } from 'kysely';
import { type RunTaskDeps, type TaskContext, type TaskLogSink, groupCommitWritesFor, runTaskJob } from '../src';
import { addTask, openTestDb, taskRow } from './helpers';

let db: Kysely<Database>;
let tenantId: string;
let close: () => Promise<void>;
beforeAll(async () => ({ db, tenantId, close } = await openTestDb()));
afterAll(() => close());

const store: TaskLogSink = (batch) => insertTaskLogs(db, batch, TASK_LOG_LIMITS.linesPerTask);

function deps(handler: (payload: never, ctx: TaskContext) => Promise<unknown>, taskLogs: TaskLogSink | undefined, logStream = new PassThrough()): RunTaskDeps {
  return {
    writes: groupCommitWritesFor(db),
    queue: 'monitoring',
    handlers: { test_task: handler } as unknown as RunTaskDeps['handlers'],
    policies: new TaskPolicies(),
    logger: createLogger({ service: 'test', stream: logStream, level: 'debug' }),
    taskLogs,
  };
}
const linesOf = (id: string) => db.selectFrom('task_logs').select(['attempt', 'level', 'message']).where('task_id', '=', id).orderBy('seq').execute();

describe('ctx.log', () => {
  it('stores lines while the handler still runs (every ~250 ms), not only at the end, in one write per batch', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' });
    const batches: TaskLogBatch[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const running = runTaskJob(
      deps(
        async (_p, ctx) => {
          ctx.log('info', 'one');
          ctx.log('info', 'two');
          await held;
          ctx.log('info', 'three');
          return { echo: 'x' };
        },
        (batch) => {
          batches.push(batch);
          return store(batch);
        },
      ),
      { task_id: task.id },
    );
    // Stored while the handler waits: the timer flushed them, both in one batch.
    await waitFor(async () => ((await linesOf(task.id)).length === 2 ? true : undefined), 'the first two lines stored while the handler runs');
    expect(batches.map((b) => b.lines.map((l) => l.message))).toEqual([['one', 'two']]);
    release();
    await running;
    expect((await linesOf(task.id)).map((l) => l.message)).toEqual(['one', 'two', 'three']);
  });

  it('writes every line to the worker log with the task id, and a failing store never fails the attempt', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'y' });
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const outcome = await runTaskJob(
      deps(
        async (_p, ctx) => {
          ctx.log('warn', 'disk nearly full', { free_mb: 12, secret: 'hunter2' });
          return { echo: 'y' };
        },
        () => Promise.reject(new Error('postgres is away')),
        out,
      ),
      { task_id: task.id },
    );
    expect(outcome).toEqual({ kind: 'success' });
    expect((await taskRow(db, task.id)).status).toBe('SUCCESS');
    const line = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'disk nearly full');
    expect(line).toMatchObject({ level: 'warn', task_id: task.id, attempt: 1, handler_log: true, fields: { free_mb: 12, secret: '[redacted]' } });
    expect(text).toContain('could not store the task log lines');
    expect(text).not.toContain('hunter2');
  });

  it('without a store (runTaskJob alone) logs to the worker only', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'z' });
    await runTaskJob(
      deps(async (_p, ctx) => {
        ctx.log('info', 'nowhere to keep me');
        return { echo: 'z' };
      }, undefined),
      { task_id: task.id },
    );
    expect(await linesOf(task.id)).toEqual([]);
  });

  it('keeps the lines of concurrent tasks apart, each in its own order', async () => {
    const tasks = await Promise.all(Array.from({ length: 5 }, () => addTask(db, tenantId, 'test_task', { message: 'c' })));
    await Promise.all(
      tasks.map((task) =>
        runTaskJob(
          deps(async (_p, ctx) => {
            for (let i = 1; i <= 120; i += 1) ctx.log('debug', `${ctx.taskId} ${i}`);
            return { echo: 'c' };
          }, store),
          { task_id: task.id },
        ),
      ),
    );
    for (const task of tasks) {
      expect((await linesOf(task.id)).map((l) => l.message)).toEqual(Array.from({ length: 120 }, (_, i) => `${task.id} ${i + 1}`));
    }
  });
});
