import { PassThrough } from 'node:stream';
import { DeferTaskError, PermanentError, RetryLaterError, TaskPolicies } from '@conveyor/contracts';
import type { Database } from '@conveyor/db';
import { claimTask, replayDeadLetters, revokeTask } from '@conveyor/db';
import type { Kysely } from 'kysely';
import { type RunTaskDeps, type TaskContext, groupCommitWritesFor, runTaskJob } from '../src';
import { createLogger, createMetricsRegistry, createTaskMetrics } from '@conveyor/observability';
import { waitFor } from '@conveyor/testkit';
import { addTask, attemptRows, openTestDb, quietLogger, taskRow } from './helpers';

let db: Kysely<Database>;
let tenantId: string;
let close: () => Promise<void>;
beforeAll(async () => ({ db, tenantId, close } = await openTestDb()));
afterAll(() => close());

// Wide gaps between limits, so a machine busy with other tests cannot reorder them.
const fast = new TaskPolicies({ test_task: { backoff: { baseMs: 1000, maxMs: 8000 }, softTimeoutMs: 100, hardTimeoutMs: 3000 } });

function deps(handlers: Record<string, (payload: never, ctx: TaskContext) => Promise<unknown>>, policies = fast): RunTaskDeps {
  return {
    writes: groupCommitWritesFor(db),
    queue: 'monitoring',
    handlers: handlers as RunTaskDeps['handlers'],
    policies,
    logger: quietLogger(),
    random: () => 0.5,
  };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A handler's wait that ignores its signal; the timer does not hold the test process open. */
const ignoreSignalFor = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

describe('runTaskJob: the happy path and duplicates', () => {
  it('runs the handler, records progress and commits the validated result', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'hello' });
    const seen: unknown[] = [];
    const outcome = await runTaskJob(
      deps({
        test_task: async (payload: { message: string }, ctx) => {
          seen.push(payload);
          await ctx.progress(50, 'half way');
          expect(await taskRow(db, task.id)).toMatchObject({ status: 'PROGRESS', progress: 50, message: 'half way' });
          return { echo: payload.message };
        },
      }),
      { task_id: task.id },
    );
    expect(outcome).toEqual({ kind: 'success' });
    expect(seen).toEqual([{ message: 'hello', steps: 5, step_ms: 200 }]);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'SUCCESS', result: { echo: 'hello' }, progress: 100, attempt: 1, expires_at: expect.any(Date) });
    expect(await attemptRows(db, task.id)).toEqual([{ attempt: 1, outcome: 'success', error: null }]);
  });

  it("writes the attempt's log lines, and its handler's, with the task, tenant and attempt", async () => {
    const stream = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    stream.on('data', (chunk: Buffer) =>
      lines.push(
        ...chunk
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      ),
    );
    const task = await addTask(db, tenantId, 'test_task', { message: 'hello' });
    const outcome = await runTaskJob(
      {
        ...deps({
          test_task: async (_payload, ctx) => {
            ctx.logger.info('from the handler', { step: 1 });
            return { echo: 'hi' };
          },
        }),
        logger: createLogger({ service: 'test', stream }),
      },
      { task_id: task.id },
    );
    expect(outcome).toEqual({ kind: 'success' });
    await new Promise((r) => setImmediate(r));
    const ids = { task_id: task.id, tenant_id: tenantId, attempt: 1 };
    expect(lines.map((l) => l.message)).toEqual(['task started', 'from the handler', 'attempt ended']);
    for (const line of lines) expect(line).toMatchObject(ids);
    expect(lines[1]).toMatchObject({ step: 1 });
  });

  it('does not run a task again when its job is delivered twice after SUCCESS', async () => {
    const task = await addTask(db, tenantId, 'ping', {});
    let runs = 0;
    const d = deps({
      ping: async () => {
        runs += 1;
        return 'pong';
      },
    });
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'success' });
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'skipped' });
    expect(runs).toBe(1);
  });

  it('fences off a stale attempt: its late result never overwrites the newer attempt', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'race' }, 3);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = new TaskPolicies();
    const stale = runTaskJob(
      deps(
        {
          test_task: async () => {
            await gate;
            return { echo: 'stale' };
          },
        },
        slow,
      ),
      { task_id: task.id },
    );
    while ((await taskRow(db, task.id)).attempt < 1) await sleep(10);
    expect(await runTaskJob(deps({ test_task: async () => ({ echo: 'fresh' }) }, slow), { task_id: task.id })).toEqual({ kind: 'success' });
    release();
    expect(await stale).toEqual({ kind: 'fenced' });
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'SUCCESS', attempt: 2, result: { echo: 'fresh' } });
    expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['lost', 'success']);
  });

  it('skips job data that is not a task reference and unknown task ids', async () => {
    expect(await runTaskJob(deps({}), { task_id: 'nope' })).toEqual({ kind: 'skipped' });
    expect(await runTaskJob(deps({}), { task_id: '00000000-0000-4000-8000-000000000000' })).toEqual({ kind: 'skipped' });
  });
});

describe('runTaskJob: failures and retries', () => {
  it('retries a transient error with exponential backoff, then fails for good into the dead-letter table', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'flaky' }, 3);
    const d = deps({
      test_task: async () => {
        throw new Error('upstream 503');
      },
    });
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'retry', delayMs: 750 }); // 1000 × 2^0, equal jitter at 0.5
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'RETRY', error: { type: 'Error', message: 'upstream 503' }, next_attempt_at: expect.any(Date) });
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'retry', delayMs: 1500 }); // 1000 × 2^1
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'failure' });
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'FAILURE', attempt: 3 });
    expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['retry', 'retry', 'failure']);
    expect(await db.selectFrom('dead_letters').select(['attempts', 'error']).where('task_id', '=', task.id).executeTakeFirst()).toEqual({
      attempts: 3,
      error: { type: 'Error', message: 'upstream 503' },
    });
  });

  it('counts a dead letter in conveyor_dead_letters_total only when the task fails for good, by queue and task', async () => {
    const metrics = createTaskMetrics(createMetricsRegistry('test'));
    const deadLetters = async () => (await metrics.deadLetters.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
    const task = await addTask(db, tenantId, 'test_task', { message: 'flaky' }, 2);
    const d = {
      ...deps({
        test_task: async () => {
          throw new Error('upstream 503');
        },
      }),
      metrics,
    };
    expect(await runTaskJob(d, { task_id: task.id })).toMatchObject({ kind: 'retry' });
    expect(await deadLetters()).toEqual([]);
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'failure' });
    expect(await deadLetters()).toEqual([{ labels: { queue: 'monitoring', task: 'test_task' }, value: 1 }]);
    // A finished task run again files nothing more.
    await runTaskJob(d, { task_id: task.id });
    expect(await deadLetters()).toEqual([{ labels: { queue: 'monitoring', task: 'test_task' }, value: 1 }]);
  });

  it("honours a provider's Retry-After instead of the backoff", async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 3);
    const d = deps({
      test_task: async () => {
        throw new RetryLaterError('429 Too Many Requests', 4321);
      },
    });
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'retry', delayMs: 4321 });
  });

  it('defers a task that cannot run yet (a rate-limit window) without spending any attempt, however often', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 1);
    let calls = 0;
    const d = deps({
      test_task: async () => {
        calls += 1;
        if (calls <= 3) throw new DeferTaskError('X rate limit for POST /2/tweets is spent until its reset', 5000);
        return { echo: 'x' };
      },
    });
    for (let i = 0; i < 3; i++) expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'deferred', delayMs: 5000 });
    const deferred = await taskRow(db, task.id);
    expect(deferred).toMatchObject({ status: 'RETRY', attempt: 3, max_attempts: 4, message: expect.stringContaining('no attempt spent') });
    // Its one attempt was never spent: a task allowed a single attempt still runs, and succeeds.
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'success' });
    expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['deferred', 'deferred', 'deferred', 'success']);
  });

  it('fails a PermanentError at once, keeping its code, with no retry', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 5);
    const d = deps({
      test_task: async () => {
        throw new PermanentError('plan cap reached', 'PLAN_LIMIT_REACHED');
      },
    });
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'failure' });
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'FAILURE', attempt: 1, error: { type: 'PermanentError', code: 'PLAN_LIMIT_REACHED' } });
  });

  it('records an error message free of secrets', async () => {
    const task = await addTask(db, tenantId, 'ping', {});
    await runTaskJob(
      deps({
        ping: async () => {
          throw Object.assign(new Error('refused Bearer abcdefghijklmnop'), { name: 'UpstreamError' });
        },
      }),
      { task_id: task.id },
    );
    expect((await taskRow(db, task.id)).error).toEqual({ type: 'UpstreamError', message: 'refused Bearer [redacted]' });
  });

  it('fails bad stored payloads, bad results and tasks without a handler, never running them twice', async () => {
    const badPayload = await addTask(db, tenantId, 'test_task', { message: 42 }, 3);
    expect(await runTaskJob(deps({ test_task: async () => ({ echo: '' }) }), { task_id: badPayload.id })).toEqual({ kind: 'failure' });
    expect((await taskRow(db, badPayload.id)).error).toMatchObject({ type: 'InvalidPayload' });
    const badResult = await addTask(db, tenantId, 'ping', {});
    expect(await runTaskJob(deps({ ping: async () => 'pang' }), { task_id: badResult.id })).toEqual({ kind: 'failure' });
    expect((await taskRow(db, badResult.id)).error).toMatchObject({ type: 'InvalidResult' });
    const noHandler = await addTask(db, tenantId, 'ping', {});
    expect(await runTaskJob(deps({}), { task_id: noHandler.id })).toEqual({ kind: 'failure' });
    expect((await taskRow(db, noHandler.id)).error).toMatchObject({ type: 'UnknownTask' });
  });

  it('runs a task again after an attempt lost with its worker, without using up its own attempts', async () => {
    const task = await addTask(db, tenantId, 'ping', {}, 1);
    await claimTask(db, task.id); // attempt 1, then its worker died (caught in another task's crash)
    let ran = false;
    expect(
      await runTaskJob(
        deps({
          ping: async () => {
            ran = true;
            return 'pong';
          },
        }),
        { task_id: task.id },
      ),
    ).toEqual({ kind: 'success' });
    expect(ran).toBe(true);
    expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['lost', 'success']);
  });

  it("still retries a lost task's own failures up to its attempts", async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 2);
    await claimTask(db, task.id); // lost
    const failing = deps({
      test_task: async () => {
        throw new Error('own failure');
      },
    });
    expect(await runTaskJob(failing, { task_id: task.id })).toMatchObject({ kind: 'retry' });
    expect(await runTaskJob(failing, { task_id: task.id })).toEqual({ kind: 'failure' });
    expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['lost', 'retry', 'failure']);
  });

  it('fails a task that keeps killing its worker after maxLostAttempts, without running it again', async () => {
    const task = await addTask(db, tenantId, 'ping', {}, 5);
    for (let i = 0; i < 3; i += 1) await claimTask(db, task.id); // three workers died running it
    let ran = false;
    expect(
      await runTaskJob(
        deps({
          ping: async () => {
            ran = true;
            return 'pong';
          },
        }),
        { task_id: task.id },
      ),
    ).toEqual({ kind: 'failure' });
    expect(ran).toBe(false);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'FAILURE', error: { type: 'AttemptsExhausted', message: expect.stringMatching(/3 times/) } });
    expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['lost', 'lost', 'lost', 'failure']);
  });

  it('runs such a task again once it is replayed from the dead letters: lost attempts count from the replay', async () => {
    const task = await addTask(db, tenantId, 'ping', {}, 5);
    for (let i = 0; i < 3; i += 1) await claimTask(db, task.id);
    expect(await runTaskJob(deps({ ping: async () => 'pong' }), { task_id: task.id })).toEqual({ kind: 'failure' });
    expect(await replayDeadLetters(db, { taskIds: [task.id] }, new TaskPolicies({ ping: { attempts: 2 } }))).toHaveLength(1);
    // One more lost attempt after the replay is still under the limit of three...
    await claimTask(db, task.id);
    let ran = 0;
    expect(
      await runTaskJob(
        deps({
          ping: async () => {
            ran += 1;
            return 'pong';
          },
        }),
        { task_id: task.id },
      ),
    ).toEqual({ kind: 'success' });
    expect(ran).toBe(1);
    expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['lost', 'lost', 'lost', 'failure', 'lost', 'success']);
  });
});

describe('runTaskJob: time limits, revokes and release', () => {
  it('fires the soft limit on the signal, and the handler that stops gets a transient failure', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 2);
    let reason: unknown;
    const d = deps({
      test_task: (_p, ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason;
            reject(new Error('aborted'));
          }),
        ),
    });
    expect(await runTaskJob(d, { task_id: task.id })).toMatchObject({ kind: 'retry' });
    expect((reason as Error).name).toBe('SoftTimeLimitError');
    expect((await taskRow(db, task.id)).error).toMatchObject({ type: 'SoftTimeLimitError' });
  });

  it('gives a handler that first reads its signal after the soft limit a signal already aborted by it', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 2);
    let seen: { aborted: boolean; reason: unknown } | undefined;
    const d = deps({
      test_task: async (_p, ctx) => {
        // The signal is made when first read; the soft limit's timer (100 ms) fires before this
        // one (400 ms), whatever the load: timers fire in the order of their deadlines.
        await sleep(400);
        seen = { aborted: ctx.signal.aborted, reason: ctx.signal.reason };
        throw ctx.signal.reason;
      },
    });
    expect(await runTaskJob(d, { task_id: task.id })).toMatchObject({ kind: 'retry' });
    expect(seen?.aborted).toBe(true);
    expect((seen?.reason as Error).name).toBe('SoftTimeLimitError');
  });

  it('abandons an attempt at the hard limit; its late result is never written', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 1);
    let finishedLate = false;
    const handler = async () => {
      await sleep(1500);
      finishedLate = true;
      return { echo: 'late' };
    };
    const d = deps({ test_task: handler }, new TaskPolicies({ test_task: { softTimeoutMs: 50, hardTimeoutMs: 200 } }));
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'failure' });
    expect(finishedLate).toBe(false);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'FAILURE', error: { type: 'HardTimeLimitError' }, result: null });
    await waitFor(async () => (finishedLate ? true : undefined), 'the abandoned handler to finish', 5000);
    await sleep(50);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'FAILURE', result: null });
  });

  it('aborts the handler when its job is cancelled as revoked, and ends without waiting for it', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 1);
    const jobController = new AbortController();
    let sawAbort = false;
    const d = deps(
      {
        test_task: async (_p, ctx) => {
          ctx.signal.addEventListener('abort', () => (sawAbort = true));
          await ignoreSignalFor(5000);
          return { echo: 'x' };
        },
      },
      new TaskPolicies(),
    );
    const running = runTaskJob(d, { task_id: task.id }, jobController.signal);
    while ((await taskRow(db, task.id)).status !== 'STARTED') await sleep(5);
    await revokeTask(db, task.id, tenantId, 1000);
    jobController.abort('revoked');
    expect(await running).toEqual({ kind: 'revoked' });
    expect(sawAbort).toBe(true);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'REVOKED' });
    expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['revoked']);
  });

  it('aborts a handler whose progress write is refused because the task was revoked', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 1);
    let reason: unknown;
    const d = deps(
      {
        test_task: async (_p, ctx) => {
          await revokeTask(db, task.id, tenantId, 1000);
          await ctx.progress(10);
          reason = ctx.signal.reason;
          return { echo: 'x' };
        },
      },
      new TaskPolicies(),
    );
    expect(await runTaskJob(d, { task_id: task.id })).toEqual({ kind: 'fenced' });
    expect((reason as Error).name).toBe('AttemptFencedError');
    expect((await taskRow(db, task.id)).status).toBe('REVOKED');
  });

  it('releases the task on shutdown without spending an attempt', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'x' }, 1);
    const jobController = new AbortController();
    const d = deps(
      {
        test_task: async () => {
          await ignoreSignalFor(5000);
          return { echo: 'x' };
        },
      },
      new TaskPolicies(),
    );
    const running = runTaskJob(d, { task_id: task.id }, jobController.signal);
    while ((await taskRow(db, task.id)).status !== 'STARTED') await sleep(5);
    jobController.abort('shutdown');
    expect(await running).toEqual({ kind: 'released' });
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'RETRY', max_attempts: 2, attempt: 1 });
  });
});
