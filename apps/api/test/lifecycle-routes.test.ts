import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TaskPolicies } from '@conveyor/contracts';
import { claimTask, completeTask, recordProgress } from '@conveyor/db';
import { type TaskContext, TaskEventPublisher, TaskWorker, WatchedTasks, createWorkerRedis, queuePrefix } from '@conveyor/queue';
import { TEST_REDIS_URL, waitFor } from '@conveyor/testkit';
import { Worker } from 'bullmq';
import request from 'supertest';
import { type Harness, failForGood, quietLogger, startHarness } from './helpers';
import { sseBatches } from './sse';

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const submit = (body: object, key = h.keyA) => request(h.app).post('/api/v1/tasks').set(auth(key)).send(body);
const row = (id: string) => h.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function failedTask(key = h.keyA) {
  const { body } = await submit({ task: 'ping' }, key);
  return failForGood(h.db, body.task_id as string);
}

describe('idempotency keys', () => {
  it('returns the same task for the same key: 202 the first time, 200 after', async () => {
    const first = await submit({ task: 'ping', idempotency_key: 'order-1' });
    const again = await submit({ task: 'ping', idempotency_key: 'order-1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.task_id).toBe(first.body.task_id);
    // Keys are per tenant: another tenant's same key is another task.
    const other = await submit({ task: 'ping', idempotency_key: 'order-1' }, h.keyB);
    expect(other.status).toBe(202);
    expect(other.body.task_id).not.toBe(first.body.task_id);
  });

  it('answers 409 when a key is reused for a different payload', async () => {
    await submit({ task: 'test_task', payload: { message: 'a' }, idempotency_key: 'k-409' });
    const res = await submit({ task: 'test_task', payload: { message: 'b' }, idempotency_key: 'k-409' });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('idempotency_conflict');
  });

  it('makes one task from 100 concurrent submissions with one key', async () => {
    const responses = await Promise.all(Array.from({ length: 100 }, () => submit({ task: 'ping', idempotency_key: 'burst' })));
    expect(new Set(responses.map((r) => r.body.task_id)).size).toBe(1);
    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    const rows = await h.db.selectFrom('tasks').select('id').where('idempotency_key', '=', 'burst').execute();
    expect(rows).toHaveLength(1);
  });
});

describe('delays and priorities', () => {
  it('stores them and hands them to BullMQ', async () => {
    const res = await submit({ task: 'ping', delay_ms: 60_000, priority: 3 });
    expect(res.status).toBe(202);
    const view = (await request(h.app).get(`/api/v1/tasks/${res.body.task_id}`).set(auth(h.keyA))).body;
    expect(view).toMatchObject({ status: 'PENDING', priority: 3, run_at: expect.any(String) });
    expect(new Date(view.run_at).getTime() - Date.now()).toBeGreaterThan(50_000);
    const job = await h.producer.queue('monitoring').getJob(res.body.task_id);
    expect(job?.opts).toMatchObject({ delay: expect.any(Number), priority: 3 });
    expect(await job?.getState()).toBe('delayed');
  });

  it('rejects out-of-range values', async () => {
    expect((await submit({ task: 'ping', delay_ms: -1 })).status).toBe(400);
    expect((await submit({ task: 'ping', priority: 0 })).status).toBe(400);
    expect((await submit({ task: 'ping', delay_ms: 40 * 86_400_000 })).status).toBe(400);
  });
});

describe('POST /tasks/batch', () => {
  it('accepts up to 1000 tasks in one call, enqueued together in envelopes of 50', async () => {
    const tasks = Array.from({ length: 1000 }, (_, i) => ({ task: 'test_task', payload: { message: `m${i}` } }));
    const res = await request(h.app).post('/api/v1/tasks/batch').set(auth(h.keyB)).send({ tasks });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ count: 1000, created: 1000 });
    const ids = res.body.tasks.map((t: { task_id: string }) => t.task_id);
    expect(new Set(ids).size).toBe(1000);
    const jobs = await h.producer.queue('monitoring').getJobs(['waiting'], 0, 2000);
    const carrying = jobs.filter((j) => (j.data.task_ids ?? [j.data.task_id]).some((id: string) => ids.includes(id)));
    expect(carrying).toHaveLength(20);
    expect(carrying.flatMap((j) => j.data.task_ids).sort()).toEqual([...ids].sort());
  });

  it('rejects the whole batch for one bad item and names its index', async () => {
    const before = await h.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const tasks = [{ task: 'ping' }, { task: 'ping' }, { task: 'ping' }, { task: 'test_task', payload: { message: '' } }, { task: 'nope' }];
    const res = await request(h.app).post('/api/v1/tasks/batch').set(auth(h.keyA)).send({ tasks });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual(['tasks.3.payload.message', 'tasks.4.task']);
    const after = await h.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('names every bad item at once: shape errors do not hide payload errors of other items', async () => {
    const tasks = [{ task: 'ping' }, { task: 'test_task', payload: { message: 'x', steps: 'many' } }, { task: 'ping', delay_ms: -1 }, { task: 'nope' }];
    const res = await request(h.app).post('/api/v1/tasks/batch').set(auth(h.keyA)).send({ tasks });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual(['tasks.1.payload.steps', 'tasks.2.delay_ms', 'tasks.3.task']);
    expect(res.body.message).toMatch(/tasks\.1\.payload\.steps: .*tasks\.2\.delay_ms: .*tasks\.3\.task: unknown task "nope"/);
  });

  it('refuses a batch holding text Postgres cannot store, names where it is, and writes none of it', async () => {
    const count = async () =>
      Number(
        (
          await h.db
            .selectFrom('tasks')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const tasks = [
      { task: 'test_task', payload: { message: 'fine' } },
      { task: 'test_task', payload: { message: 'fine too' } },
      { task: 'test_task', payload: { message: 'nul \u0000 inside' } },
      { task: 'test_task', payload: { message: 'half an emoji \ud83d' } },
    ];
    const res = await request(h.app).post('/api/v1/tasks/batch').set(auth(h.keyA)).send({ tasks });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual(['tasks.2.payload.message', 'tasks.3.payload.message']);
    expect(res.body.message).toMatch(/NUL character/);
    expect(await count()).toBe(before);
    // The same for one task, and for a key.
    expect((await submit({ task: 'test_task', payload: { message: 'a\u0000b' } })).status).toBe(400);
    const key = await submit({ task: 'ping', idempotency_key: 'k\u0000' });
    expect(key.status).toBe(400);
    expect(key.body.issues[0].path).toBe('idempotency_key');
    expect(await count()).toBe(before);
  });

  it('refuses more than 1000 tasks, an empty batch and a key repeated inside one batch', async () => {
    const many = await request(h.app)
      .post('/api/v1/tasks/batch')
      .set(auth(h.keyA))
      .send({ tasks: Array.from({ length: 1001 }, () => ({ task: 'ping' })) });
    expect(many.status).toBe(400);
    expect(many.body.message).toMatch(/at most 1000/);
    expect((await request(h.app).post('/api/v1/tasks/batch').set(auth(h.keyA)).send({ tasks: [] })).status).toBe(400);
    const dup = await request(h.app)
      .post('/api/v1/tasks/batch')
      .set(auth(h.keyA))
      .send({
        tasks: [
          { task: 'ping', idempotency_key: 'x' },
          { task: 'ping', idempotency_key: 'x' },
        ],
      });
    expect(dup.status).toBe(400);
    expect(dup.body.issues[0]).toMatchObject({ path: 'tasks.1.idempotency_key' });
  });
});

describe('GET /tasks', () => {
  it("pages the caller's tasks newest first, filtered, and never another tenant's", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await submit({ task: 'test_task', payload: { message: `list-${i}` } })).body.task_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(h.app)
        .get('/api/v1/tasks')
        .query({ task: 'test_task', limit: 2, ...(cursor ? { cursor } : {}) })
        .set(auth(h.keyA));
      expect(res.status).toBe(200);
      seen.push(...res.body.tasks.map((t: { task_id: string }) => t.task_id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
    const theirs = await request(h.app).get('/api/v1/tasks').query({ limit: 200 }).set(auth(h.keyB));
    expect(theirs.body.tasks.some((t: { task_id: string }) => ids.includes(t.task_id))).toBe(false);
    expect((await request(h.app).get('/api/v1/tasks').query({ status: 'DONE' }).set(auth(h.keyA))).status).toBe(400);
    expect((await request(h.app).get('/api/v1/tasks').query({ cursor: 'garbage' }).set(auth(h.keyA))).body.error).toBe('invalid_cursor');
  });
});

describe('cancel and retry', () => {
  it('revokes a queued task: REVOKED at once and its job removed', async () => {
    const { body } = await submit({ task: 'ping' });
    const res = await request(h.app).post(`/api/v1/tasks/${body.task_id}/cancel`).set(auth(h.keyA));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'REVOKED' });
    expect(await row(body.task_id)).toMatchObject({ status: 'REVOKED', finished_at: expect.any(Date) });
    expect(await h.producer.queue('monitoring').getJob(body.task_id)).toBeUndefined();
    expect((await request(h.app).post(`/api/v1/tasks/${body.task_id}/cancel`).set(auth(h.keyA))).status).toBe(409);
  });

  it("answers 404 for another tenant's task and leaves it alone", async () => {
    const { body } = await submit({ task: 'ping' });
    expect((await request(h.app).post(`/api/v1/tasks/${body.task_id}/cancel`).set(auth(h.keyB))).status).toBe(404);
    expect((await row(body.task_id)).status).toBe('PENDING');
  });

  it('replays a failed task and refuses one that has not failed', async () => {
    const id = await failedTask();
    expect((await request(h.app).post(`/api/v1/tasks/${id}/retry`).set(auth(h.keyB))).status).toBe(404);
    const res = await request(h.app).post(`/api/v1/tasks/${id}/retry`).set(auth(h.keyA));
    expect(res.status).toBe(202);
    expect(await row(id)).toMatchObject({ status: 'PENDING', error: null, max_attempts: 2 });
    expect(await h.producer.queue('monitoring').getJob(id)).toBeDefined();
    expect((await request(h.app).post(`/api/v1/tasks/${id}/retry`).set(auth(h.keyA))).body.error).toBe('task_not_failed');
  });

  it("a retry sent while the failed run's job is still being completed waits for it and enqueues the task", async () => {
    const queue = h.producer.queue('monitoring');
    await queue.drain(true);
    const { body } = await submit({ task: 'ping' });
    const id = body.task_id as string;
    // A worker holds the failed run's job: the task row is FAILURE, BullMQ not told yet.
    const connection = createWorkerRedis(TEST_REDIS_URL);
    const fetcher = new Worker('monitoring', null, { connection, prefix: queuePrefix(h.prefix, 'monitoring') });
    try {
      const token = 'held-by-the-failed-run';
      const job = (await fetcher.getNextJob(token))!;
      expect(job.id).toBe(id);
      await failForGood(h.db, id);
      const completing = new Promise((r) => setTimeout(r, 300)).then(() => job.moveToCompleted('failure', token, false));
      const res = await request(h.app).post(`/api/v1/tasks/${id}/retry`).set(auth(h.keyA));
      await completing;
      expect(res.body).toMatchObject({ status: 'PENDING', enqueued: true });
      expect(await (await queue.getJob(id))?.getState()).toBe('waiting');

      // One still held past the wait is left to the reconciler, and the answer says so.
      const again = (await fetcher.getNextJob(token))!;
      expect(again.id).toBe(id);
      await failForGood(h.db, id);
      const late = await request(h.app).post(`/api/v1/tasks/${id}/retry`).set(auth(h.keyA));
      expect(late.body).toMatchObject({ status: 'PENDING', enqueued: false });
      await again.moveToCompleted('failure', token, false);
    } finally {
      await fetcher.close();
      connection.disconnect();
    }
  });

  it('shows every attempt in GET /tasks/{id}', async () => {
    const id = await failedTask();
    const view = (await request(h.app).get(`/api/v1/tasks/${id}`).set(auth(h.keyA))).body;
    expect(view.attempt_history).toEqual([
      {
        attempt: 1,
        started_at: expect.any(String),
        finished_at: expect.any(String),
        outcome: 'failure',
        error: { type: 'Boom', message: 'broken' },
        worker: null,
        duration_ms: expect.any(Number),
        cost_usd: 0,
      },
    ]);
  });
});

describe('admin dead letters', () => {
  it('are for admin keys only', async () => {
    expect((await request(h.app).get('/api/v1/admin/dead-letters').set(auth(h.keyA))).status).toBe(403);
    expect((await request(h.app).post('/api/v1/admin/dead-letters/replay').set(auth(h.keyA)).send({ all: true })).status).toBe(403);
  });

  it('list across tenants and replay one, a filter, or all', async () => {
    const a = await failedTask(h.keyA);
    const b = await failedTask(h.keyB);
    const list = await request(h.app).get('/api/v1/admin/dead-letters').set(auth(h.adminKey));
    expect(list.body.dead_letters.map((d: { task_id: string }) => d.task_id)).toEqual(expect.arrayContaining([a, b]));
    const one = await request(h.app)
      .post('/api/v1/admin/dead-letters/replay')
      .set(auth(h.adminKey))
      .send({ task_ids: [a] });
    expect(one.body).toMatchObject({ replayed: 1, task_ids: [a], enqueued: true });
    const all = await request(h.app).post('/api/v1/admin/dead-letters/replay').set(auth(h.adminKey)).send({ all: true });
    expect(all.body.task_ids).toContain(b);
    expect((await request(h.app).get('/api/v1/admin/dead-letters').set(auth(h.adminKey))).body.dead_letters).toEqual([]);
    const bad = await request(h.app)
      .post('/api/v1/admin/dead-letters/replay')
      .set(auth(h.adminKey))
      .send({ all: true, task_ids: [a] });
    expect(bad.status).toBe(400);
  });

  it('replay by filter takes only the dead letters that match it', async () => {
    const pingA = await failedTask(h.keyA);
    const pingB = await failedTask(h.keyB);
    const { body } = await submit({ task: 'test_task', payload: { message: 'other task' } });
    await failForGood(h.db, body.task_id);
    const res = await request(h.app)
      .post('/api/v1/admin/dead-letters/replay')
      .set(auth(h.adminKey))
      .send({ filter: { tenant_id: h.tenantA, task: 'ping' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ replayed: 1, task_ids: [pingA] });
    const left = (await request(h.app).get('/api/v1/admin/dead-letters').set(auth(h.adminKey))).body.dead_letters.map((d: { task_id: string }) => d.task_id);
    expect(left).toEqual(expect.arrayContaining([pingB, body.task_id]));
    expect(left).not.toContain(pingA);
    expect((await row(pingA)).status).toBe('PENDING');
  });

  it('an empty or ambiguous replay request is refused with what to send, and replays nothing', async () => {
    const a = await failedTask(h.keyA);
    const replay = (body: object) => request(h.app).post('/api/v1/admin/dead-letters/replay').set(auth(h.adminKey)).send(body);
    const empty = await replay({ filter: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/filter: needs at least one of task, tenant_id or failed_after; to replay every dead letter send \{"all": true\}/);
    for (const body of [{}, { all: true, filter: { task: 'ping' } }]) {
      const res = await replay(body);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/send exactly one of task_ids \(a list of ids\), filter .* or all: true/);
    }
    expect((await replay({ all: false })).body.message).toMatch(/all: must be true/);
    const left = (await request(h.app).get('/api/v1/admin/dead-letters').set(auth(h.adminKey))).body.dead_letters.map((d: { task_id: string }) => d.task_id);
    expect(left).toContain(a);
  });
});

describe('GET /tasks/{id}/events', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer(h.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  /** Reads a stream to its end and returns its events. */
  async function readEvents(id: string, whileOpen?: (received: { event: string; data: Record<string, unknown> }[]) => Promise<void>) {
    const res = await fetch(`${base}/tasks/${id}/events`, { headers: auth(h.keyA) });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events: { event: string; data: Record<string, unknown> }[] = [];
    const pump = (async () => {
      for await (const batch of sseBatches(res.body!)) {
        for (const { event, data } of batch) if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    })();
    await whileOpen?.(events);
    await pump;
    return events;
  }

  it('streams every state and progress change until the task ends, then closes', async () => {
    const { body } = await submit({ task: 'test_task', payload: { message: 'live' } });
    const id = body.task_id as string;
    const events = await readEvents(id, async () => {
      await new Promise((r) => setTimeout(r, 100));
      const claim = (await claimTask(h.db, id))!;
      h.events.publish({ task_id: id, status: 'STARTED', progress: 0, message: null, attempts: 1 });
      for (const p of [25, 50]) {
        await recordProgress(h.db, { ...claim, progress: p, message: `at ${p}` });
        h.events.publish({ task_id: id, status: 'PROGRESS', progress: p, message: `at ${p}`, attempts: 1 });
        await new Promise((r) => setTimeout(r, 30));
      }
      await completeTask(h.db, { ...claim, result: { echo: 'live' }, retentionMs: 60_000 });
      h.events.publish({ task_id: id, status: 'SUCCESS', progress: 100, message: 'Task completed', attempts: 1 });
    });
    expect(events.map((e) => [e.event, e.data.status, e.data.progress])).toEqual([
      ['state', 'PENDING', 0],
      ['state', 'STARTED', 0],
      ['state', 'PROGRESS', 25],
      ['state', 'PROGRESS', 50],
      ['end', 'SUCCESS', 100],
    ]);
    // One shape whether the row or pub/sub said it; the end, read from Postgres, adds the outcome.
    const fields = ['at', 'attempts', 'message', 'progress', 'status', 'task_id'];
    for (const e of events.slice(0, -1)) expect(Object.keys(e.data).sort()).toEqual(fields);
    expect(Object.keys(events.at(-1)!.data).sort()).toEqual([...fields, 'error', 'result'].sort());
    expect(events.at(-1)!.data).toMatchObject({ result: { echo: 'live' }, error: null, attempts: 1 });
  });

  it('drops a pub/sub message older than the state a read of Postgres already sent', async () => {
    const { body } = await submit({ task: 'test_task', payload: { message: 'stale' } });
    const id = body.task_id as string;
    const claim = (await claimTask(h.db, id))!;
    await recordProgress(h.db, { ...claim, progress: 60, message: 'at 60' }); // the stream opens on this state
    const events = await readEvents(id, async (received) => {
      await waitFor(async () => (received.some((e) => e.data.status === 'PROGRESS') ? true : undefined), 'the stream to send PROGRESS', 10_000);
      h.events.publish({ task_id: id, status: 'STARTED', progress: 0, message: null, attempts: 1 }); // late, stale
      await new Promise((r) => setTimeout(r, 100));
      await completeTask(h.db, { ...claim, result: { echo: 'stale' }, retentionMs: 60_000 });
      h.events.publish({ task_id: id, status: 'SUCCESS', progress: 100, message: 'Task completed', attempts: 1 });
    });
    expect(events.map((e) => [e.event, e.data.status, e.data.progress])).toEqual([
      ['state', 'PROGRESS', 60],
      ['end', 'SUCCESS', 100],
    ]);
  });

  it('streams the states and every progress step of a task run by a real worker', async () => {
    const connection = createWorkerRedis(TEST_REDIS_URL);
    const watchSubscriber = createWorkerRedis(TEST_REDIS_URL);
    // As the worker app runs: events published only for tasks a client streams.
    const watched = new WatchedTasks(connection, h.prefix);
    await watched.start(watchSubscriber);
    let worker: TaskWorker | undefined;
    const startWorker = async () => {
      worker = new TaskWorker({
        queue: 'monitoring',
        prefix: h.prefix,
        connection,
        concurrency: 1,
        db: h.db,
        logger: quietLogger(),
        policies: new TaskPolicies(),
        events: new TaskEventPublisher(connection, h.prefix, watched),
        handlers: {
          test_task: async (payload: { message: string }, ctx: TaskContext) => {
            for (const p of [20, 40, 60, 80]) {
              await ctx.progress(p, `at ${p}`);
              await new Promise((r) => setTimeout(r, 60));
            }
            return { echo: payload.message };
          },
        } as never,
      });
    };
    try {
      // Earlier tests' jobs (a batch of 1000 among them) would keep a worker of one busy.
      await h.producer.queue('monitoring').drain(true);
      const { body } = await submit({ task: 'test_task', payload: { message: 'from a worker' } });
      // The worker starts once the stream is open, so the stream sees the task from PENDING on.
      const events = await readEvents(body.task_id, startWorker);
      // Every step arrives, in order: the 200 ms catch-up read alone would miss most of them.
      expect(events.map((e) => [e.event, e.data.status, e.data.progress])).toEqual([
        ['state', 'PENDING', 0],
        ['state', 'STARTED', 0],
        ['state', 'PROGRESS', 20],
        ['state', 'PROGRESS', 40],
        ['state', 'PROGRESS', 60],
        ['state', 'PROGRESS', 80],
        ['end', 'SUCCESS', 100],
      ]);
    } finally {
      await worker?.close(5000);
      watched.close();
      watchSubscriber.disconnect();
      connection.disconnect();
    }
  });

  it('catches up from Postgres when an event is never published', async () => {
    const { body } = await submit({ task: 'ping' });
    const events = await readEvents(body.task_id, async () => {
      const claim = (await claimTask(h.db, body.task_id))!;
      await completeTask(h.db, { ...claim, result: 'pong', retentionMs: 60_000 }); // no publish at all
    });
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { status: 'SUCCESS' } });
  });

  it('gives a client that connects after the end the final state and closes', async () => {
    const id = await failedTask();
    const events = await readEvents(id);
    expect(events).toEqual([{ event: 'end', data: expect.objectContaining({ task_id: id, status: 'FAILURE' }) }]);
  });

  /** Reads a stream with its ids until `enough` says so (then drops the connection) or it ends. */
  async function readWithIds(id: string, lastEventId?: string, enough: (events: { id: string; event: string; status: unknown }[]) => boolean = () => false) {
    const aborter = new AbortController();
    const headers = { ...auth(h.keyA), ...(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }) };
    const res = await fetch(`${base}/tasks/${id}/events`, { headers, signal: aborter.signal });
    const events: { id: string; event: string; status: unknown; progress: unknown }[] = [];
    try {
      for await (const batch of sseBatches(res.body!)) {
        for (const { id: eventId, event, data } of batch) {
          if (!eventId || !event || !data) continue;
          const { status, progress } = JSON.parse(data) as { status: unknown; progress: unknown };
          events.push({ id: eventId, event, status, progress });
        }
        if (enough(events)) aborter.abort();
      }
    } catch (error) {
      if (!aborter.signal.aborted) throw error;
    }
    return events;
  }

  it('gives each state the same id on every connection; a reconnect with Last-Event-ID gets only what came after', async () => {
    const { body } = await submit({ task: 'test_task', payload: { message: 'resume' } });
    const id = body.task_id as string;
    const claim = (await claimTask(h.db, id))!;
    await recordProgress(h.db, { ...claim, progress: 30, message: 'at 30' });
    const first = await readWithIds(id, undefined, (events) => events.length > 0);
    expect(first.map((e) => [e.status, e.progress])).toEqual([['PROGRESS', 30]]);

    // While the client is away the task moves on twice; a fresh client and a resuming one agree on the id.
    await recordProgress(h.db, { ...claim, progress: 60, message: 'at 60' });
    await recordProgress(h.db, { ...claim, progress: 60, message: 'still at 60' });
    const fresh = await readWithIds(id, undefined, (events) => events.length > 0);
    const resumed = await readWithIds(id, first[0]!.id, (events) => events.length > 0);
    expect(resumed).toEqual(fresh);
    expect(resumed.map((e) => [e.status, e.progress])).toEqual([['PROGRESS', 60]]);
    expect(resumed[0]!.id).not.toBe(first[0]!.id);
    // Resuming from the newest state sends nothing again: the next event is the end.
    const rest = readWithIds(id, resumed[0]!.id);
    await completeTask(h.db, { ...claim, result: { echo: 'resume' }, retentionMs: 60_000 });
    h.events.publish({ task_id: id, status: 'SUCCESS', progress: 100, message: 'Task completed', attempts: 1 });
    const ended = await rest;
    expect(ended.map((e) => [e.event, e.status])).toEqual([['end', 'SUCCESS']]);
    // A client that saw the end and reconnects gets nothing, and the stream closes.
    expect(await readWithIds(id, ended[0]!.id)).toEqual([]);
    // An id this API did not write starts the stream afresh.
    expect((await readWithIds(id, 'not-an-event-id')).map((e) => e.event)).toEqual(['end']);
  });

  it("answers 404 for another tenant's task", async () => {
    const id = await failedTask(h.keyB);
    expect((await fetch(`${base}/tasks/${id}/events`, { headers: auth(h.keyA) })).status).toBe(404);
  });
});
