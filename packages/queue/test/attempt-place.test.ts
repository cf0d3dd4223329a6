import { PermanentError, TaskPolicies } from '@conveyor/contracts';
import type { Database } from '@conveyor/db';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix, waitFor } from '@conveyor/testkit';
import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import { TaskProducer, TaskWorker, createProducerRedis, createWorkerRedis } from '../src';
import { AttemptPlace, OutcomeBacklog } from '../src/attempt-place';
import { addTask, openTestDb, quietLogger, taskRow } from './helpers';

describe('AttemptPlace', () => {
  it('is given back when its handler is done, once, while the backlog has room', () => {
    const backlog = new OutcomeBacklog(1);
    let freed = 0;
    const place = new AttemptPlace(backlog, () => (freed += 1));
    place.handlerDone();
    expect([freed, backlog.size]).toEqual([1, 1]);
    place.handlerDone();
    place.done();
    place.done();
    expect([freed, backlog.size]).toEqual([1, 0]);
  });

  it('is kept until the outcome is written when the backlog is full', () => {
    const backlog = new OutcomeBacklog(1);
    const frees: [number, number] = [0, 0];
    const first = new AttemptPlace(backlog, () => (frees[0] += 1));
    const second = new AttemptPlace(backlog, () => (frees[1] += 1));
    first.handlerDone();
    second.handlerDone();
    expect(frees).toEqual([1, 0]);
    second.done();
    expect(frees).toEqual([1, 1]);
    expect(backlog.size).toBe(1);
    first.done();
    expect(backlog.size).toBe(0);
  });

  it('is given back at its end when its handler never ran', () => {
    const backlog = new OutcomeBacklog(4);
    let freed = 0;
    new AttemptPlace(backlog, () => (freed += 1)).done();
    expect([freed, backlog.size]).toEqual([1, 0]);
  });
});

// The worker's concurrency limits handlers, not bookkeeping: a real worker on a real queue,
// one place, and a task whose outcome cannot commit (the test holds its row locked). The
// blocked outcome is a failure, written by a statement of its own: a result would share its
// group commit with the next task's claim, and the lock would hold both.
describe('a worker with one place', () => {
  let db: Kysely<Database>;
  let tenantId: string;
  let close: () => Promise<void>;
  let producerRedis: Redis;
  let workerRedis: Redis;
  let prefix: string;
  let producer: TaskProducer;

  beforeAll(async () => {
    ({ db, tenantId, close } = await openTestDb());
    producerRedis = createProducerRedis(TEST_REDIS_URL);
    workerRedis = createWorkerRedis(TEST_REDIS_URL);
    prefix = uniquePrefix('place');
    producer = new TaskProducer(producerRedis, prefix);
  });
  afterAll(async () => {
    await producer.close();
    await deleteKeysWithPrefix(prefix);
    producerRedis.disconnect();
    workerRedis.disconnect();
    await close();
  });

  /** Holds a task's row locked in a transaction of its own until `unlock` is called. */
  function lockRow(id: string): { locked: Promise<void>; unlock: () => void; done: Promise<void> } {
    let unlock!: () => void;
    const released = new Promise<void>((resolve) => (unlock = resolve));
    let locked!: () => void;
    const lockedPromise = new Promise<void>((resolve) => (locked = resolve));
    const done = db.transaction().execute(async (trx) => {
      await sql`select 1 from tasks where id = ${id} for update`.execute(trx);
      locked();
      await released;
    });
    return { locked: lockedPromise, unlock, done };
  }

  it("runs the next task's handler while an earlier outcome is still being committed, and writes both", async () => {
    const started: string[] = [];
    let lock: ReturnType<typeof lockRow> | undefined;
    const worker = new TaskWorker({
      queue: 'monitoring',
      handlers: {
        test_task: async (p: { message: string }, ctx: { taskId: string }) => {
          started.push(ctx.taskId);
          // The first task keeps its own row locked and fails: its outcome waits behind the lock.
          if (started.length === 1) {
            lock = lockRow(ctx.taskId);
            await lock.locked;
            throw new PermanentError('first');
          }
          return { echo: p.message };
        },
      } as never,
      policies: new TaskPolicies({}),
      db,
      logger: quietLogger(),
      connection: workerRedis,
      prefix,
      concurrency: 1,
      prefetch: 1,
    });
    try {
      await worker.waitUntilReady();
      const messages = ['a', 'b'];
      const tasks = await Promise.all(messages.map((message) => addTask(db, tenantId, 'test_task', { message })));
      await producer.enqueueMany(tasks.map((t) => ({ id: t.id, task: 'test_task', queue: 'monitoring' })));
      await waitFor(async () => (started.length === 2 ? true : undefined), "the second task's handler to start while the first's outcome waits", 20_000);
      const [first, second] = started as [string, string];
      expect((await taskRow(db, first)).status).toBe('STARTED');
      lock!.unlock();
      await lock!.done;
      const ended = async (id: string, status: string) =>
        waitFor(async () => ((await taskRow(db, id)).status === status ? true : undefined), `${id} ${status}`, 30_000);
      await ended(first, 'FAILURE');
      await ended(second, 'SUCCESS');
      expect((await taskRow(db, second)).result).toEqual({ echo: messages[tasks.findIndex((t) => t.id === second)] });
    } finally {
      lock?.unlock();
      await worker.close(5000);
    }
  }, 90_000);
});
