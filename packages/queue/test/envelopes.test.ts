import { setTimeout as sleep } from 'node:timers/promises';
import { TaskPolicies } from '@conveyor/contracts';
import { type Database, claimTask, revokeTask } from '@conveyor/db';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix, waitFor } from '@conveyor/testkit';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import {
  TaskEventPublisher,
  TaskProducer,
  TaskWorker,
  type TaskWorkerOptions,
  createProducerRedis,
  createWorkerRedis,
  queuePrefix,
  reconcileOnce,
} from '../src';
import { envelopeJobId } from '../src/envelopes';
import { envelopeIndexKey } from '../src/queue-keys';
import { addTask, attemptRows, openTestDb, quietLogger, taskRow } from './helpers';

// Envelopes: one BullMQ job carrying the ids of tasks submitted together. Every test runs the
// real TaskWorker on a real queue and reads the outcome from Postgres.

let db: Kysely<Database>;
let tenantId: string;
let close: () => Promise<void>;
let producerRedis: Redis;
let workerRedis: Redis;
const policies = new TaskPolicies({ test_task: { backoff: { baseMs: 50, maxMs: 100 } } });
let prefix: string;
let producer: TaskProducer;

beforeAll(async () => {
  ({ db, tenantId, close } = await openTestDb());
  producerRedis = createProducerRedis(TEST_REDIS_URL);
  workerRedis = createWorkerRedis(TEST_REDIS_URL);
  await waitFor(async () => (producerRedis.status === 'ready' ? true : undefined), 'redis');
});
// Each test has a queue prefix of its own: no job of one is seen by another's workers.
beforeEach(() => {
  prefix = uniquePrefix('envelopes');
  producer = new TaskProducer(producerRedis, prefix, { envelopeSize: 5 });
});
afterEach(async () => {
  await producer.close();
  await deleteKeysWithPrefix(prefix);
});
afterAll(async () => {
  producerRedis.disconnect();
  workerRedis.disconnect();
  await close();
});

type Handler = (payload: { message: string }, ctx: { taskId: string; attempt: number; signal: AbortSignal }) => Promise<unknown>;

function worker(handler: Handler, extra: Partial<TaskWorkerOptions> = {}) {
  return new TaskWorker({
    queue: 'monitoring',
    handlers: { test_task: handler } as never,
    policies,
    db,
    logger: quietLogger(),
    connection: workerRedis,
    prefix,
    concurrency: 4,
    revokePollMs: 100,
    ...extra,
  });
}

/** A worker whose handlers wait until unblock(); started() counts the handlers begun. */
function blockedWorker(extra: Partial<TaskWorkerOptions>) {
  let unblock!: () => void;
  const blocked = new Promise<void>((resolve) => (unblock = resolve));
  let started = 0;
  const w = worker(async (p) => {
    started += 1;
    await blocked;
    return { echo: p.message };
  }, extra);
  return { w, started: () => started, unblock };
}

const echo: Handler = async (p) => ({ echo: p.message });
const queue = () => producer.queue('monitoring');
const request = (id: string) => ({ id, task: 'test_task', queue: 'monitoring' });
const isStatus =
  (id: string, ...statuses: string[]) =>
  async () =>
    statuses.includes((await taskRow(db, id)).status) ? true : undefined;
const addTasks = (n: number, maxAttempts = 1) =>
  Promise.all(Array.from({ length: n }, (_, i) => addTask(db, tenantId, 'test_task', { message: `m${i}` }, maxAttempts)));
const waitAll = async (ids: string[], ...statuses: string[]) => {
  for (const id of ids) await waitFor(isStatus(id, ...statuses), `task ${id} to reach ${statuses.join('/')}`, 30_000);
};
const outcomes = async (id: string) => (await attemptRows(db, id)).map((a) => a.outcome);

describe('envelopes', () => {
  it('a batch goes in envelopes (the rest of a chunk, and delayed or prioritised tasks, get their own jobs); every task ends SUCCESS once', async () => {
    const tasks = await addTasks(11);
    const delayed = await addTask(db, tenantId, 'test_task', { message: 'later' });
    await producer.enqueueTogether([...tasks.map((t) => request(t.id)), { ...request(delayed.id), delayMs: 200 }]);
    // 11 tasks in envelopes of 5: two envelopes and one task left, in a job of its own; the 12th is delayed.
    const waiting = await queue().getWaiting();
    expect(waiting.map((j) => j.id).sort()).toEqual(
      [envelopeJobId(tasks.slice(0, 5).map((t) => t.id)), envelopeJobId(tasks.slice(5, 10).map((t) => t.id)), tasks[10]!.id].sort(),
    );
    expect(waiting.find((j) => j.id === tasks[10]!.id)!.data).toEqual({ task_id: tasks[10]!.id });
    expect((await queue().getDelayed()).map((j) => j.id)).toEqual([delayed.id]);
    expect(await producerRedis.hlen(envelopeIndexKey(prefix, 'monitoring'))).toBe(10);

    // The same tasks enqueued together again add nothing: the envelopes' ids are their tasks'.
    await producer.enqueueTogether(tasks.map((t) => request(t.id)));
    expect(await queue().getWaitingCount()).toBe(3);

    const w = worker(echo);
    try {
      await waitAll(
        [...tasks, delayed].map((t) => t.id),
        'SUCCESS',
      );
      for (const [i, t] of tasks.entries()) {
        expect(await taskRow(db, t.id)).toMatchObject({ status: 'SUCCESS', attempt: 1, result: { echo: `m${i}` } });
        expect(await outcomes(t.id)).toEqual(['success']);
      }
      await waitFor(async () => ((await producerRedis.hlen(envelopeIndexKey(prefix, 'monitoring'))) === 0 ? true : undefined), 'the index to empty');
      expect(await queue().getJobCounts('waiting', 'active', 'delayed', 'failed')).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      await w.close(5000);
    }
  });

  it('counts the concurrency in tasks: never more handlers at once than the limit, however envelopes and single jobs mix', async () => {
    let running = 0;
    let most = 0;
    const handler: Handler = async (p) => {
      running += 1;
      most = Math.max(most, running);
      await sleep(20);
      running -= 1;
      return { echo: p.message };
    };
    const batch = await addTasks(20);
    const singles = await addTasks(6);
    await producer.enqueueTogether(batch.map((t) => request(t.id)));
    await producer.enqueueMany(singles.map((t) => request(t.id)));
    const w = worker(handler, { concurrency: 3 });
    try {
      await waitAll(
        [...batch, ...singles].map((t) => t.id),
        'SUCCESS',
      );
      expect(most).toBe(3);
    } finally {
      await w.close(5000);
    }
  });

  it('holds no more jobs than its concurrency counted in tasks: the rest of a batch stays queued for other workers', async () => {
    const { w, started, unblock } = blockedWorker({ concurrency: 5 });
    try {
      await w.waitUntilReady();
      const batch = await addTasks(15);
      await producer.enqueueTogether(batch.map((t) => request(t.id)));
      await waitFor(async () => (started() === 5 ? true : undefined), 'five handlers to start');
      await sleep(100);
      // One envelope of five fills the worker: BullMQ fetched no other (it would have taken all three).
      expect(await queue().getJobCounts('active', 'waiting')).toMatchObject({ active: 1, waiting: 2 });
      unblock();
      await waitAll(
        batch.map((t) => t.id),
        'SUCCESS',
      );
    } finally {
      await w.close(5000);
    }
  });

  it('with a prefetch, holds that many tasks more, waiting: their handlers start only as places free up', async () => {
    const { w, started, unblock } = blockedWorker({ concurrency: 5, prefetch: 5 });
    try {
      await w.waitUntilReady();
      const batch = await addTasks(20);
      await producer.enqueueTogether(batch.map((t) => request(t.id)));
      await waitFor(async () => (started() === 5 ? true : undefined), 'five handlers to start');
      await waitFor(async () => ((await queue().getJobCounts('active')).active === 2 ? true : undefined), 'a second envelope to be held');
      await sleep(100);
      // Two envelopes held (five running, five waiting for a place), two left for other workers.
      expect(started()).toBe(5);
      expect(await queue().getJobCounts('active', 'waiting')).toMatchObject({ active: 2, waiting: 2 });
      // The waiting ones are not claimed: only the running five are STARTED.
      expect((await Promise.all(batch.map((t) => taskRow(db, t.id)))).filter((r) => r.status === 'STARTED')).toHaveLength(5);
      unblock();
      await waitAll(
        batch.map((t) => t.id),
        'SUCCESS',
      );
    } finally {
      await w.close(5000);
    }
  });

  it('shares a large batch between workers, and a task submitted after it still runs', async () => {
    const ranOn = new Map<string, string>();
    const handler =
      (name: string): Handler =>
      async (p, ctx) => {
        ranOn.set(ctx.taskId, name);
        await sleep(30);
        return { echo: p.message };
      };
    const a = worker(handler('a'), { concurrency: 5 });
    const b = worker(handler('b'), { concurrency: 5 });
    try {
      await Promise.all([a.waitUntilReady(), b.waitUntilReady()]);
      const batch = await addTasks(60);
      await producer.enqueueTogether(batch.map((t) => request(t.id)));
      const single = await addTask(db, tenantId, 'test_task', { message: 'after' });
      await producer.enqueue(request(single.id));
      await waitAll(
        [...batch, single].map((t) => t.id),
        'SUCCESS',
      );
      const counts = { a: 0, b: 0 };
      for (const t of batch) counts[ranOn.get(t.id) as 'a' | 'b'] += 1;
      expect(counts.a).toBeGreaterThan(0);
      expect(counts.b).toBeGreaterThan(0);
      expect(counts.a + counts.b).toBe(60);
    } finally {
      await Promise.all([a.close(5000), b.close(5000)]);
    }
  });

  it('a revoke aborts the running member it names, and only that one', async () => {
    const aborted: string[] = [];
    const [target, other] = await addTasks(2);
    const handler: Handler = (p, ctx) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve({ echo: p.message }), ctx.taskId === target!.id ? 30_000 : 600);
        ctx.signal.addEventListener('abort', () => {
          aborted.push(ctx.taskId);
          clearTimeout(timer);
          reject(ctx.signal.reason);
        });
      });
    const w = worker(handler, { revokePollMs: 60_000 }); // the pub/sub path
    await w.listenForCancels(workerRedis.duplicate());
    try {
      await producer.enqueueTogether([request(target!.id), request(other!.id)]);
      await waitFor(isStatus(target!.id, 'STARTED'), 'the target to start');
      await revokeTask(db, target!.id, tenantId, 60_000);
      await new TaskEventPublisher(producerRedis, prefix).publishCancel(target!.id);
      await waitFor(async () => (aborted.length > 0 ? true : undefined), 'the abort');
      await waitAll([other!.id], 'SUCCESS');
      expect(aborted).toEqual([target!.id]);
      expect(await taskRow(db, target!.id)).toMatchObject({ status: 'REVOKED' });
      expect(await outcomes(target!.id)).toEqual(['revoked']);
      expect(await outcomes(other!.id)).toEqual(['success']);
    } finally {
      await w.close(5000);
    }
  });

  it('a member revoked before its turn is never run', async () => {
    const ran: string[] = [];
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    const [first, second, third] = await addTasks(3);
    const handler: Handler = async (p, ctx) => {
      ran.push(ctx.taskId);
      if (ctx.taskId === first!.id) await blocked;
      return { echo: p.message };
    };
    const w = worker(handler, { concurrency: 1 });
    try {
      await producer.enqueueTogether([first, second, third].map((t) => request(t!.id)));
      await waitFor(isStatus(first!.id, 'STARTED'), 'the first to start');
      await revokeTask(db, third!.id, tenantId, 60_000);
      unblock();
      await waitAll([first!.id, second!.id], 'SUCCESS');
      await waitFor(async () => ((await queue().getJobCounts('active')).active === 0 ? true : undefined), 'the envelope to finish');
      expect(ran).toEqual([first!.id, second!.id]);
      expect(await taskRow(db, third!.id)).toMatchObject({ status: 'REVOKED', attempt: 0 });
    } finally {
      await w.close(5000);
    }
  });

  it('a member that fails retries in a delayed job of its own; the others are not touched', async () => {
    const calls = new Map<string, number>();
    const tasks = await addTasks(3, 3);
    const flaky = tasks[1]!.id;
    let sawOwnJob = false;
    const handler: Handler = async (p, ctx) => {
      calls.set(ctx.taskId, (calls.get(ctx.taskId) ?? 0) + 1);
      if (ctx.taskId === flaky && ctx.attempt === 1) throw new Error('first try fails');
      if (ctx.taskId === flaky) sawOwnJob = (await queue().getJob(flaky))?.data.task_id === flaky;
      return { echo: p.message };
    };
    const w = worker(handler);
    try {
      await producer.enqueueTogether(tasks.map((t) => request(t.id)));
      await waitAll(
        tasks.map((t) => t.id),
        'SUCCESS',
      );
      expect(await outcomes(flaky)).toEqual(['retry', 'success']);
      expect(sawOwnJob).toBe(true);
      for (const t of [tasks[0]!, tasks[2]!]) {
        expect(await outcomes(t.id)).toEqual(['success']);
        expect(calls.get(t.id)).toBe(1);
      }
    } finally {
      await w.close(5000);
    }
  });

  it('on shutdown, running members are released and members not started get jobs of their own; another worker runs them all once', async () => {
    const started: string[] = [];
    const tasks = await addTasks(4);
    const stubborn: Handler = (p, ctx) =>
      new Promise((resolve, reject) => {
        started.push(ctx.taskId);
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
      });
    const first = worker(stubborn, { concurrency: 2 });
    await producer.enqueueTogether(tasks.map((t) => request(t.id)));
    await waitFor(async () => (started.length === 2 ? true : undefined), 'two members to start');
    await first.close(50);
    const released = started.slice();
    for (const id of released) expect(await taskRow(db, id)).toMatchObject({ status: 'RETRY' });
    const notStarted = tasks.map((t) => t.id).filter((id) => !released.includes(id));
    for (const id of notStarted) expect(await taskRow(db, id)).toMatchObject({ status: 'PENDING' });
    // Each unfinished task has a job of its own now; the envelope is gone.
    for (const t of tasks) expect((await queue().getJob(t.id))?.data).toEqual({ task_id: t.id });
    const second = worker(echo);
    try {
      await waitAll(
        tasks.map((t) => t.id),
        'SUCCESS',
      );
      for (const id of released) expect(await outcomes(id)).toEqual(['released', 'success']);
      for (const id of notStarted) expect(await outcomes(id)).toEqual(['success']);
    } finally {
      await second.close(5000);
    }
  });

  it('an envelope back from a stall is not run again: finished tasks stay, running ones run alone with their lost attempt counted, the rest run', async () => {
    const tasks = await addTasks(4, 2);
    const [done, wasRunning, alsoRunning, neverStarted] = tasks.map((t) => t.id) as [string, string, string, string];
    await producer.enqueueTogether(tasks.map((t) => request(t.id)));
    // A worker takes the envelope and dies: it fetches the job (a short lock it never renews),
    // claims three of the tasks, finishes one and is gone.
    const dying = new Worker('monitoring', null, { connection: workerRedis, prefix: queuePrefix(prefix, 'monitoring'), lockDuration: 300 });
    const job = await dying.getNextJob('dying-token');
    expect(job?.data).toEqual({ task_ids: tasks.map((t) => t.id) });
    for (const id of [done, wasRunning, alsoRunning]) expect(await claimTask(db, id)).toBeDefined();
    await db.updateTable('tasks').set({ status: 'SUCCESS', finished_at: new Date() }).where('id', '=', done).execute();
    await dying.close();

    let running = 0;
    const alone: string[] = [];
    const calls = new Map<string, number>();
    const handler: Handler = async (p, ctx) => {
      running += 1;
      calls.set(ctx.taskId, (calls.get(ctx.taskId) ?? 0) + 1);
      await sleep(50);
      if (running === 1) alone.push(ctx.taskId);
      running -= 1;
      return { echo: p.message };
    };
    const w = worker(handler, { stalledIntervalMs: 200, lockDurationMs: 1000 });
    try {
      await waitAll([wasRunning, alsoRunning, neverStarted], 'SUCCESS');
      expect(calls.get(done)).toBeUndefined();
      for (const id of [wasRunning, alsoRunning]) {
        expect(calls.get(id)).toBe(1);
        expect(alone).toContain(id); // a suspect: no other handler ran beside it
        expect(await outcomes(id)).toEqual(['lost', 'success']);
        expect(await taskRow(db, id)).toMatchObject({ attempt: 2 });
      }
      expect(calls.get(neverStarted)).toBe(1);
      expect(await outcomes(neverStarted)).toEqual(['success']);
      expect(await producerRedis.hlen(envelopeIndexKey(prefix, 'monitoring'))).toBe(0);
    } finally {
      await w.close(5000);
    }
  });

  it('the reconciler and a replayed submission see an enveloped task as queued; a lost envelope is replaced by jobs of their own', async () => {
    // A database of its own: the reconciler looks at every unfinished task.
    const own = await openTestDb();
    const tasks = await Promise.all(Array.from({ length: 3 }, () => addTask(own.db, own.tenantId, 'test_task', { message: 'r' })));
    await producer.enqueueTogether(tasks.map((t) => request(t.id)));
    await sleep(20);
    const deps = { db: own.db, redis: producerRedis, producer, policies, logger: quietLogger(), graceMs: 0 };
    expect(await reconcileOnce(deps)).toMatchObject({ reenqueued: 0 });
    await producer.enqueueMissing(tasks.map((t) => request(t.id)));
    expect(await queue().getWaitingCount()).toBe(1);

    // Redis loses the envelope: each task gets a job of its own, once.
    await queue().remove(envelopeJobId(tasks.map((t) => t.id)));
    expect(await reconcileOnce(deps)).toMatchObject({ reenqueued: 3 });
    expect(await reconcileOnce(deps)).toMatchObject({ reenqueued: 0 });
    expect((await queue().getWaiting()).map((j) => j.id).sort()).toEqual(tasks.map((t) => t.id).sort());
    const w = worker(echo, { db: own.db });
    try {
      for (const t of tasks) await waitFor(async () => ((await taskRow(own.db, t.id)).status === 'SUCCESS' ? true : undefined), `task ${t.id}`);
      for (const t of tasks) expect(await taskRow(own.db, t.id)).toMatchObject({ attempt: 1 });
    } finally {
      await w.close(5000);
      await own.close();
    }
  });
});
