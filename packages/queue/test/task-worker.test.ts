import { QUEUE_NAMES, TaskPolicies } from '@conveyor/contracts';
import { type Database, revokeTask } from '@conveyor/db';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix, waitFor } from '@conveyor/testkit';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import {
  QueueUnavailableError,
  TaskEventPublisher,
  TaskProducer,
  TaskWorker,
  type TaskWorkerOptions,
  createProducerRedis,
  createWorkerRedis,
  isRedisUnavailable,
  jobKey,
  queuePrefix,
  reconcileOnce,
} from '../src';
import { addTask, attemptRows, openTestDb, quietLogger, taskRow } from './helpers';

let db: Kysely<Database>;
let tenantId: string;
let close: () => Promise<void>;
const prefix = uniquePrefix('worker');
let producerRedis: Redis;
let workerRedis: Redis;
let producer: TaskProducer;
const policies = new TaskPolicies({ test_task: { backoff: { baseMs: 50, maxMs: 100 } } });

beforeAll(async () => {
  ({ db, tenantId, close } = await openTestDb());
  producerRedis = createProducerRedis(TEST_REDIS_URL);
  workerRedis = createWorkerRedis(TEST_REDIS_URL);
  await waitFor(async () => (producerRedis.status === 'ready' ? true : undefined), 'redis');
  producer = new TaskProducer(producerRedis, prefix);
});
afterAll(async () => {
  await producer.close();
  producerRedis.disconnect();
  workerRedis.disconnect();
  await deleteKeysWithPrefix(prefix);
  await close();
});

function worker(handlers: Record<string, unknown>, extra: Partial<TaskWorkerOptions> = {}) {
  return new TaskWorker({
    queue: 'monitoring',
    handlers: handlers as never,
    policies,
    db,
    logger: quietLogger(),
    connection: workerRedis,
    prefix,
    concurrency: 4,
    ...extra,
  });
}
const isStatus = (id: string, status: string) => async () => ((await taskRow(db, id)).status === status ? true : undefined);
const enqueue = (id: string, task = 'test_task') => producer.enqueue({ id, task, queue: 'monitoring' });

describe('TaskWorker on a real queue', () => {
  it('runs enqueued tasks to SUCCESS and leaves no finished job in Redis', async () => {
    const w = worker({ ping: async () => 'pong' });
    try {
      const tasks = await Promise.all(Array.from({ length: 20 }, () => addTask(db, tenantId, 'ping', {})));
      await producer.enqueueMany(tasks.map((t) => ({ id: t.id, task: 'ping', queue: 'monitoring' })));
      await enqueue(tasks[0]!.id, 'ping'); // the same id again is a no-op
      for (const task of tasks) await waitFor(isStatus(task.id, 'SUCCESS'), `task ${task.id}`);
      expect(await producer.queue('monitoring').getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')).toMatchObject({
        completed: 0,
        failed: 0,
        waiting: 0,
        active: 0,
        delayed: 0,
      });
      const rows = await db
        .selectFrom('tasks')
        .select('attempt')
        .where(
          'id',
          'in',
          tasks.map((t) => t.id),
        )
        .execute();
      expect(rows.every((r) => r.attempt === 1)).toBe(true);
    } finally {
      await w.close(5000);
    }
  });

  it('retries through the delayed set: RETRY while waiting, then SUCCESS on the next attempt', async () => {
    let calls = 0;
    const w = worker({
      test_task: async (p: { message: string }) => {
        calls += 1;
        if (calls === 1) throw new Error('first try fails');
        return { echo: p.message };
      },
    });
    try {
      const task = await addTask(db, tenantId, 'test_task', { message: 'again' }, 3);
      await enqueue(task.id);
      await waitFor(isStatus(task.id, 'SUCCESS'), 'the retried task');
      expect(await taskRow(db, task.id)).toMatchObject({ attempt: 2, result: { echo: 'again' } });
      expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['retry', 'success']);
    } finally {
      await w.close(5000);
    }
  });

  it('delays and prioritises jobs as submitted', async () => {
    // No worker runs yet: the queue fills first, then one worker drains it.
    const order: string[] = [];
    const low = await addTask(db, tenantId, 'test_task', { message: 'low' });
    const high = await addTask(db, tenantId, 'test_task', { message: 'high' });
    const later = await addTask(db, tenantId, 'test_task', { message: 'later' });
    await producer.enqueueMany([
      { id: low.id, task: 'test_task', queue: 'monitoring', priority: 50 },
      { id: high.id, task: 'test_task', queue: 'monitoring', priority: 1 },
      { id: later.id, task: 'test_task', queue: 'monitoring', delayMs: 400 },
    ]);
    expect(await producer.queue('monitoring').getJobCounts('delayed', 'prioritized')).toMatchObject({ delayed: 1, prioritized: 2 });
    const w2 = worker(
      {
        test_task: async (p: { message: string }) => {
          order.push(p.message);
          return { echo: p.message };
        },
      },
      { concurrency: 1 },
    );
    try {
      await waitFor(isStatus(later.id, 'SUCCESS'), 'the delayed task');
      expect(order).toEqual(['high', 'low', 'later']);
    } finally {
      await w2.close(5000);
    }
  });

  it('on close lets the active task finish and takes no new one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const w = worker(
      {
        test_task: async (p: { message: string }) => {
          started += 1;
          await gate;
          return { echo: p.message };
        },
      },
      { concurrency: 1 },
    );
    const active = await addTask(db, tenantId, 'test_task', { message: 'finish me' });
    const queued = await addTask(db, tenantId, 'test_task', { message: 'leave me' });
    await enqueue(active.id);
    await waitFor(async () => (started === 1 ? true : undefined), 'the first task to start');
    await enqueue(queued.id);
    const closing = w.close(10_000);
    setTimeout(release, 200);
    await closing;
    expect(await taskRow(db, active.id)).toMatchObject({ status: 'SUCCESS' });
    expect(await taskRow(db, queued.id)).toMatchObject({ status: 'PENDING', attempt: 0 });
    expect(started).toBe(1);
    // Leave the queue empty for the next test.
    await producer.queue('monitoring').remove(queued.id);
  });

  it('past the grace period releases the running task so another worker takes it at once', async () => {
    const stuck = worker({ test_task: async () => new Promise(() => undefined) });
    const task = await addTask(db, tenantId, 'test_task', { message: 'move me' });
    await enqueue(task.id);
    await waitFor(isStatus(task.id, 'STARTED'), 'the task to start');
    await stuck.close(300);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'RETRY', attempt: 1 });
    expect(await producer.queue('monitoring').getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    const healthy = worker({ test_task: async (p: { message: string }) => ({ echo: p.message }) });
    try {
      await waitFor(isStatus(task.id, 'SUCCESS'), 'another worker to finish it');
      expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['released', 'success']);
    } finally {
      await healthy.close(5000);
    }
  });

  it('stays bounded when the release cannot be written: close returns while the row is still locked', async () => {
    const stuck = worker({ test_task: async () => new Promise(() => undefined) }, { releaseMs: 300, lockDurationMs: 1000 });
    const task = await addTask(db, tenantId, 'test_task', { message: 'cannot be released' });
    await enqueue(task.id);
    await waitFor(isStatus(task.id, 'STARTED'), 'the task to start');
    // Another transaction holds the task's row: the release's UPDATE waits, as it would on a Postgres that does not answer.
    let unlock!: () => void;
    const held = new Promise<void>((resolve) => (unlock = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = db.transaction().execute(async (trx) => {
      await sql`select id from tasks where id = ${task.id} for update`.execute(trx);
      locked();
      await held;
    });
    await isLocked;
    let closed = false;
    const closing = stuck.close(100).then(() => (closed = true));
    await waitFor(async () => (closed ? true : undefined), 'close() to return with the row still locked', 10_000);
    expect((await taskRow(db, task.id)).status).toBe('STARTED');
    unlock();
    await holder;
    await closing;
    // Nothing is lost: once the row is free, the late release (or, had the process exited, a stall check) brings it back.
    const healthy = worker({ test_task: async (p: { message: string }) => ({ echo: p.message }) }, { lockDurationMs: 1000, stalledIntervalMs: 500 });
    try {
      await waitFor(isStatus(task.id, 'SUCCESS'), 'another worker to finish it', 20_000);
    } finally {
      await healthy.close(5000);
    }
  });

  it('aborts a running task when its revoke arrives over pub/sub', async () => {
    let aborted = false;
    const w = worker({
      test_task: async (_p: unknown, ctx: { signal: AbortSignal }) => {
        await new Promise((r) => ctx.signal.addEventListener('abort', r));
        aborted = true;
        return { echo: 'x' };
      },
    });
    await w.listenForCancels(workerRedis.duplicate());
    try {
      const task = await addTask(db, tenantId, 'test_task', { message: 'stop me' });
      await enqueue(task.id);
      await waitFor(isStatus(task.id, 'STARTED'), 'the task to start');
      await revokeTask(db, task.id, tenantId, 1000);
      await new TaskEventPublisher(producerRedis, prefix).publishCancel(task.id);
      await waitFor(async () => (aborted ? true : undefined), 'the handler to see its abort', 5000);
      expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['revoked']);
    } finally {
      await w.close(5000);
    }
  });
});

describe('handlers that ignore their abort signal', () => {
  it('are not piled up: past maxAbandoned still running, the worker takes no new jobs until they end', async () => {
    let running = 0;
    let most = 0;
    const hangs = new TaskPolicies({ test_task: { attempts: 1, softTimeoutMs: 50, hardTimeoutMs: 150 } });
    const w = worker(
      {
        test_task: async (p: { message: string }) => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 700)); // deaf to its signal
          running -= 1;
          return { echo: p.message };
        },
      },
      { concurrency: 1, maxAbandoned: 1, policies: hangs },
    );
    try {
      const tasks = await Promise.all(Array.from({ length: 3 }, (_, i) => addTask(db, tenantId, 'test_task', { message: `hang-${i}` }, 1)));
      for (const t of tasks) await enqueue(t.id);
      await waitFor(async () => (w.abandoned.overLimit && w.worker.isPaused() ? true : undefined), 'the worker to stop taking jobs', 5000);
      for (const t of tasks) await waitFor(isStatus(t.id, 'FAILURE'), 'each to fail at its hard limit', 10_000);
      await waitFor(async () => (running === 0 ? true : undefined), 'the last handler to end', 5000);
      // Without the cap each job's hard limit would free its slot and all three would hang at once.
      expect(most).toBe(1);
      expect(w.abandoned.count).toBe(0);
      expect(w.worker.isPaused()).toBe(false);
    } finally {
      await w.close(5000);
    }
  });
});

describe('a revoke whose pub/sub message never arrives', () => {
  it('still reaches the running handler: the worker finds it in Postgres', async () => {
    let aborted = false;
    // No listenForCancels: the message path is gone, only the rows remain.
    const w = worker(
      {
        test_task: async (_p: unknown, ctx: { signal: AbortSignal }) => {
          await new Promise((r) => ctx.signal.addEventListener('abort', r));
          aborted = true;
          return { echo: 'x' };
        },
      },
      { revokePollMs: 100 },
    );
    try {
      const task = await addTask(db, tenantId, 'test_task', { message: 'stop me quietly' });
      await enqueue(task.id);
      await waitFor(isStatus(task.id, 'STARTED'), 'the task to start');
      expect(aborted).toBe(false);
      await revokeTask(db, task.id, tenantId, 1000);
      await waitFor(async () => (aborted ? true : undefined), 'the handler to see its abort', 5000);
      expect(await taskRow(db, task.id)).toMatchObject({ status: 'REVOKED' });
      expect((await attemptRows(db, task.id)).map((a) => a.outcome)).toEqual(['revoked']);
    } finally {
      await w.close(5000);
    }
  });
});

describe('a job back from a stall', () => {
  it('runs alone: the attempts running wait to finish, later ones wait for it', async () => {
    const running = new Set<string>();
    let overlapped = false;
    const suspect = await addTask(db, tenantId, 'test_task', { message: 'suspect' });
    const others = await Promise.all(Array.from({ length: 5 }, (_, i) => addTask(db, tenantId, 'test_task', { message: `other-${i}` })));
    const w = worker({
      test_task: async (p: { message: string }, ctx: { taskId: string }) => {
        running.add(ctx.taskId);
        if (running.has(suspect.id) && running.size > 1) overlapped = true;
        await new Promise((r) => setTimeout(r, 30));
        running.delete(ctx.taskId);
        return { echo: p.message };
      },
    });
    try {
      // BullMQ counts a job's stalls in its hash; as if its last worker had died running it.
      await enqueue(suspect.id);
      await producerRedis.hset(jobKey(prefix, 'monitoring', suspect.id), 'stc', '1');
      await producer.enqueueMany(others.map((t) => ({ id: t.id, task: 'test_task', queue: 'monitoring' })));
      for (const t of [suspect, ...others]) await waitFor(isStatus(t.id, 'SUCCESS'), `task ${t.id}`);
      expect(overlapped).toBe(false);
    } finally {
      await w.close(5000);
    }
  });
});

// The reconcilers' grace in these tests, and the tasks they mean to be past it are a day old:
// tasks that other tests of this file left queued stay inside it however slow the machine,
// so a pass counts only the tasks of its own test.
const RECONCILE_GRACE_MS = 12 * 3_600_000;

describe('reconciler', () => {
  it('re-enqueues queued tasks whose job is gone, and requeues running tasks whose job and lock are gone', async () => {
    const queued = await addTask(db, tenantId, 'ping', {}); // committed, never enqueued
    const running = await addTask(db, tenantId, 'ping', {}, 2);
    await sql`update tasks set status = 'STARTED', attempt = 1, started_at = now() where id = ${running.id}`.execute(db);
    await sql`update tasks set updated_at = now() - interval '1 day' where id in (${queued.id}, ${running.id})`.execute(db);
    const fresh = await addTask(db, tenantId, 'ping', {}); // within the grace period: left alone

    const report = await reconcileOnce({ db, redis: producerRedis, producer, policies, logger: quietLogger(), graceMs: RECONCILE_GRACE_MS });
    expect(report).toMatchObject({ reenqueued: 1, requeuedRunning: 1 });
    expect(await producer.queue('monitoring').getJob(queued.id)).toBeDefined();
    expect(await producer.queue('monitoring').getJob(running.id)).toBeDefined();
    expect(await producer.queue('monitoring').getJob(fresh.id)).toBeUndefined();

    // A second pass finds every job in place.
    expect(await reconcileOnce({ db, redis: producerRedis, producer, policies, logger: quietLogger(), graceMs: RECONCILE_GRACE_MS })).toMatchObject({
      reenqueued: 0,
      requeuedRunning: 0,
    });
    const w = worker({ ping: async () => 'pong' });
    try {
      await waitFor(isStatus(queued.id, 'SUCCESS'), 'the re-enqueued task');
      await waitFor(isStatus(running.id, 'SUCCESS'), 'the requeued task');
      expect(await taskRow(db, running.id)).toMatchObject({ attempt: 2 });
    } finally {
      await w.close(5000);
      await producer.queue('monitoring').remove(fresh.id);
    }
  });
});

describe('reconciler and running tasks past their hard limit', () => {
  const overdue = async () => {
    const task = await addTask(db, tenantId, 'ping', {}, 3);
    await sql`update tasks set status = 'PROGRESS', attempt = 1, started_at = now() - interval '2 days', updated_at = now() - interval '1 day' where id = ${task.id}`.execute(
      db,
    );
    return task;
  };
  const reconcile = () => reconcileOnce({ db, redis: producerRedis, producer, policies, logger: quietLogger(), graceMs: RECONCILE_GRACE_MS });

  it('leaves a job that already waits in the queue where it is', async () => {
    const task = await overdue();
    await enqueue(task.id, 'ping');
    const before = (await producer.queue('monitoring').getJob(task.id))!.timestamp;
    // Twice: each pass used to remove and re-add it, sending it to the back of the line.
    expect((await reconcile()).requeuedRunning).toBe(0);
    expect((await reconcile()).requeuedRunning).toBe(0);
    expect((await producer.queue('monitoring').getJob(task.id))!.timestamp).toBe(before);
    await producer.queue('monitoring').remove(task.id);
    await db.deleteFrom('tasks').where('id', '=', task.id).execute();
  });

  it('requeues a job stuck in the active list with no lock (its worker died, no stall check ran)', async () => {
    const task = await overdue();
    await enqueue(task.id, 'ping');
    // Take the job as a worker would, then lose its lock as a dead worker does.
    const taker = new Worker('monitoring', null, { connection: workerRedis, prefix: queuePrefix(prefix, 'monitoring') });
    const job = await taker.getNextJob('dead-worker-token');
    expect(job?.id).toBe(task.id);
    await workerRedis.del(`${jobKey(prefix, 'monitoring', task.id)}:lock`);
    await taker.close();
    expect(await producer.queue('monitoring').getJobState(task.id)).toBe('active');

    expect((await reconcile()).requeuedRunning).toBe(1);
    expect(await producer.queue('monitoring').getJobState(task.id)).toBe('waiting');
    const w = worker({ ping: async () => 'pong' });
    try {
      await waitFor(isStatus(task.id, 'SUCCESS'), 'the requeued task');
      expect(await taskRow(db, task.id)).toMatchObject({ attempt: 2 });
    } finally {
      await w.close(5000);
    }
  });
});

describe('reconciler after the key layout changed', () => {
  it('re-enqueues, under the hash-tagged layout, a task whose job an older version put under `<prefix>:<queue>`', async () => {
    const task = await addTask(db, tenantId, 'ping', {});
    const old = new Queue('monitoring', { connection: producerRedis, prefix });
    try {
      await old.add('ping', { task_id: task.id }, { jobId: task.id });
      expect(await producerRedis.exists(`${prefix}:monitoring:${task.id}`)).toBe(1);
      await sql`update tasks set updated_at = now() - interval '1 day' where id = ${task.id}`.execute(db);
      // The old job is not read: the task counts as lost and goes into the queue as it is laid out now.
      expect(await reconcileOnce({ db, redis: producerRedis, producer, policies, logger: quietLogger(), graceMs: RECONCILE_GRACE_MS })).toMatchObject({
        reenqueued: 1,
      });
      expect(await producerRedis.exists(jobKey(prefix, 'monitoring', task.id))).toBe(1);
      const w = worker({ ping: async () => 'pong' });
      try {
        await waitFor(isStatus(task.id, 'SUCCESS'), 'the re-enqueued task');
      } finally {
        await w.close(5000);
      }
    } finally {
      await old.obliterate({ force: true });
      await old.close();
    }
  });
});

describe('reconciler and failed jobs', () => {
  it('re-enqueues a queued task whose job BullMQ has failed', async () => {
    const task = await addTask(db, tenantId, 'ping', {});
    await enqueue(task.id, 'ping');
    // A bare BullMQ worker that throws: the job lands in the failed set, the task stays PENDING.
    const failing = new Worker(
      'monitoring',
      async () => {
        throw new Error('infrastructure trouble');
      },
      { connection: workerRedis, prefix: queuePrefix(prefix, 'monitoring') },
    );
    await waitFor(async () => ((await producer.queue('monitoring').getJobState(task.id)) === 'failed' ? true : undefined), 'the job to fail');
    await failing.close();
    await sql`update tasks set updated_at = now() - interval '1 day' where id = ${task.id}`.execute(db);
    const report = await reconcileOnce({ db, redis: producerRedis, producer, policies, logger: quietLogger(), graceMs: RECONCILE_GRACE_MS });
    expect(report.reenqueued).toBe(1);
    expect(await producer.queue('monitoring').getJobState(task.id)).toBe('waiting');
    const w = worker({ ping: async () => 'pong' });
    try {
      await waitFor(isStatus(task.id, 'SUCCESS'), 'the task to run');
    } finally {
      await w.close(5000);
    }
  });
});

describe('producer with Redis down', () => {
  it('fails at once with QueueUnavailableError instead of queueing in memory', async () => {
    const dead = createProducerRedis('redis://127.0.0.1:1');
    dead.on('error', () => undefined);
    const deadProducer = new TaskProducer(dead, prefix);
    const error = await deadProducer.enqueue({ id: '00000000-0000-4000-8000-000000000001', task: 'ping', queue: 'monitoring' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect(isRedisUnavailable(error)).toBe(true);
    expect(isRedisUnavailable(new Error('ERR wrong number of arguments'))).toBe(false);
    dead.disconnect();
  });

  it('closes without a stray error when its queues never connected (an API shutting down while Redis is down)', async () => {
    const stray: unknown[] = [];
    const record = (error: unknown) => stray.push(error);
    process.on('unhandledRejection', record);
    try {
      const dead = createProducerRedis('redis://127.0.0.1:1');
      dead.on('error', () => undefined);
      const deadProducer = new TaskProducer(dead, prefix);
      for (const queue of QUEUE_NAMES) deadProducer.queue(queue);
      await new Promise((resolve) => dead.once('error', resolve)); // a refused connection...
      // ...then a disconnect mid-connect, which ends the client: the queues' start-up fails then.
      await waitFor(async () => (dead.status === 'connecting' ? true : undefined), 'a connection attempt', 5000, 1);
      await deadProducer.close();
      const ended = new Promise((resolve) => dead.once('end', resolve));
      dead.disconnect();
      await ended;
      await new Promise((r) => setTimeout(r, 50));
      expect(stray).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
