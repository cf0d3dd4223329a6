import type { Database } from '@conveyor/db';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix, waitFor } from '@conveyor/testkit';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { QueueUnavailableError, TaskProducer, TaskWorker, createProducerRedis, createWorkerRedis, isRedisUnavailable } from '../src';
import { addTask, openTestDb, quietLogger, taskRow } from './helpers';

let db: Kysely<Database>;
let tenantId: string;
let close: () => Promise<void>;
const prefix = uniquePrefix('worker');
let producerRedis: Redis;
let workerRedis: Redis;
let producer: TaskProducer;

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

describe('TaskWorker on a real queue', () => {
  it('runs enqueued tasks to SUCCESS and leaves no finished job in Redis', async () => {
    const handlers = { ping: async () => 'pong' as const };
    const worker = new TaskWorker({ queue: 'monitoring', handlers: handlers as never, db, logger: quietLogger(), connection: workerRedis, prefix, concurrency: 4 });
    try {
      const tasks = await Promise.all(Array.from({ length: 20 }, () => addTask(db, tenantId, 'ping', {})));
      for (const task of tasks) await producer.enqueue({ id: task.id, task: 'ping', queue: 'monitoring' });
      // Enqueueing the same task again is a no-op: the job id is the task id.
      await producer.enqueue({ id: tasks[0]!.id, task: 'ping', queue: 'monitoring' });
      for (const task of tasks) {
        await waitFor(async () => ((await taskRow(db, task.id)).status === 'SUCCESS' ? true : undefined), `task ${task.id}`);
      }
      const counts = await producer.queue('monitoring').getJobCounts('completed', 'failed', 'waiting', 'active');
      expect(counts).toMatchObject({ completed: 0, failed: 0, waiting: 0, active: 0 });
      const attempts = await db.selectFrom('tasks').select('attempt').where('id', 'in', tasks.map((t) => t.id)).execute();
      expect(attempts.every((a) => a.attempt === 1)).toBe(true);
    } finally {
      await worker.close(5000);
    }
  });

  it('on close stops taking jobs but lets the active one finish', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const handlers = { test_task: async (p: { message: string }) => { started += 1; await gate; return { echo: p.message }; } };
    const worker = new TaskWorker({ queue: 'monitoring', handlers: handlers as never, db, logger: quietLogger(), connection: workerRedis, prefix, concurrency: 1 });
    const active = await addTask(db, tenantId, 'test_task', { message: 'finish me' });
    const queued = await addTask(db, tenantId, 'test_task', { message: 'leave me' });
    await producer.enqueue({ id: active.id, task: 'test_task', queue: 'monitoring' });
    await waitFor(async () => (started === 1 ? true : undefined), 'the first task to start');
    await producer.enqueue({ id: queued.id, task: 'test_task', queue: 'monitoring' });
    const closing = worker.close(10_000);
    setTimeout(release, 200);
    await closing;
    expect(await taskRow(db, active.id)).toMatchObject({ status: 'SUCCESS', result: { echo: 'finish me' } });
    expect(await taskRow(db, queued.id)).toMatchObject({ status: 'PENDING', attempt: 0 });
    expect(started).toBe(1);
    expect(await producer.queue('monitoring').getJobCounts('waiting')).toMatchObject({ waiting: 1 });
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
});
