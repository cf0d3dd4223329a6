import { DeferTaskError, PermanentError, TaskPolicies } from '@conveyor/contracts';
import type { Database } from '@conveyor/db';
import type { Kysely } from 'kysely';
import { GroupCommitTaskWrites, type RunTaskDeps, type TaskContext, type TaskWrites, runTaskJob } from '../src';
import { addTask, attemptRows, openTestDb, quietLogger, taskRow } from './helpers';

let db: Kysely<Database>;
let tenantId: string;
let close: () => Promise<void>;
beforeAll(async () => ({ db, tenantId, close } = await openTestDb()));
afterAll(() => close());

// Every method of TaskWrites: the compiler says when one is missing.
const METHODS = Object.keys({ claim: 1, progress: 1, complete: 1, retry: 1, fail: 1, release: 1, defer: 1 } satisfies Record<
  keyof TaskWrites,
  1
>) as (keyof TaskWrites)[];

/** The real Postgres-backed writes, with every call an attempt makes noted on the way through. */
function recording(inner: TaskWrites): TaskWrites & { calls: string[] } {
  const calls: string[] = [];
  const through =
    (name: keyof TaskWrites) =>
    (...args: unknown[]) => {
      calls.push(name);
      return (inner[name] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
    };
  return Object.assign({ calls }, Object.fromEntries(METHODS.map((name) => [name, through(name)])) as unknown as TaskWrites);
}

function attemptDeps(writes: TaskWrites, handlers: Record<string, (payload: never, ctx: TaskContext) => Promise<unknown>>): RunTaskDeps {
  const policies = new TaskPolicies({ test_task: { backoff: { baseMs: 1000, maxMs: 8000 } } });
  return { writes, queue: 'monitoring', handlers: handlers as RunTaskDeps['handlers'], policies, logger: quietLogger(), random: () => 0.5 };
}

describe('every state write of an attempt goes through its injected TaskWrites', () => {
  let writes: ReturnType<typeof recording>;
  beforeEach(() => (writes = recording(new GroupCommitTaskWrites(db))));

  it('claim, progress and completion', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' });
    const d = attemptDeps(writes, {
      test_task: async (_p, ctx) => {
        await ctx.progress(50);
        return { echo: 'x' };
      },
    });
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'success' });
    expect(writes.calls).toEqual(['claim', 'progress', 'complete']);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'SUCCESS' });
  });

  it('a retry, then the final failure', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 2);
    const d = attemptDeps(writes, {
      test_task: async () => {
        throw new Error('upstream 503');
      },
    });
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'retry', delayMs: 750 });
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'failure' });
    expect(writes.calls).toEqual(['claim', 'retry', 'claim', 'fail']);
    expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['retry', 'failure']);
  });

  it('a permanent failure and a failed pre-flight check', async () => {
    const permanent = await addTask(db, tenantId, 'test_task', { message: 'x' }, 3);
    expect(
      await runTaskJob(
        attemptDeps(writes, {
          test_task: async () => {
            throw new PermanentError('no');
          },
        }),
        { task_id: permanent.id },
      ),
    ).toEqual({ kind: 'failure' });
    const unknown = await addTask(db, tenantId, 'ping', {});
    expect(await runTaskJob(attemptDeps(writes, {}), { task_id: unknown.id })).toEqual({ kind: 'failure' });
    expect(writes.calls).toEqual(['claim', 'fail', 'claim', 'fail']);
    expect(await taskRow(db, unknown.id)).toMatchObject({ status: 'FAILURE', error: { type: 'UnknownTask' } });
  });

  it('the release at shutdown', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' });
    const jobController = new AbortController();
    const d = attemptDeps(writes, {
      test_task: async () => {
        jobController.abort('shutdown');
        return new Promise(() => undefined); // ignores its signal: the attempt is released without it
      },
    });
    expect(await runTaskJob(d, { task_id: task.id }, jobController.signal)).toEqual({ kind: 'released' });
    expect(writes.calls).toEqual(['claim', 'release']);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'RETRY', max_attempts: 2 });
  });

  it('a deferral', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' });
    const d = attemptDeps(writes, {
      test_task: async () => {
        throw new DeferTaskError('window spent', 2500);
      },
    });
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'deferred', delayMs: 2500 });
    expect(writes.calls).toEqual(['claim', 'defer']);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'RETRY', max_attempts: 2 });
  });
});
