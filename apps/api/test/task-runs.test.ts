import { TASK_LOG_LIMITS, TaskPolicies } from '@conveyor/contracts';
import { CostTracker } from '@conveyor/cost-tracker';
import { claimTask, completeTask, createAdminKey, createTenantWithKey, insertTaskLogs, insertTasks, scheduleRetry, taskRow } from '@conveyor/db';
import { type TaskHandler, groupCommitWritesFor, runTaskJob } from '@conveyor/queue';
import request from 'supertest';
import { type Harness, failForGood, quietLogger, startHarness } from './helpers';
import { sseBatches } from './sse';

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const policies = new TaskPolicies();
const get = (path: string, key = h.keyA) => request(h.app).get(`/api/v1${path}`).set(auth(key));
const submit = async (body: object, key = h.keyA) => {
  const res = await request(h.app).post('/api/v1/tasks').set(auth(key)).send(body);
  expect(res.status).toBe(202);
  return res.body.task_id as string;
};
const ids = (res: request.Response) => (res.body.tasks as { task_id: string }[]).map((t) => t.task_id);

/** Runs one attempt of a task through the real worker runtime with this handler (its ctx.log stored in Postgres). */
async function runWith(taskId: string, handler: TaskHandler<'test_task'>) {
  return runTaskJob(
    {
      queue: 'monitoring',
      handlers: { test_task: handler as never },
      policies,
      logger: quietLogger(),
      writes: groupCommitWritesFor(h.db),
      events: h.events,
      taskLogs: (batch) => insertTaskLogs(h.db, batch, TASK_LOG_LIMITS.linesPerTask),
    },
    { task_id: taskId },
  );
}

describe('GET /tasks filters', () => {
  let spring: string, summer: string, draft: string, done: string, theirs: string;
  beforeAll(async () => {
    spring = await submit({ task: 'test_task', payload: { message: 'a' }, tags: ['campaign:spring', 'env=prod'] });
    summer = await submit({ task: 'test_task', payload: { message: 'b' }, tags: ['campaign:summer', 'env=prod'] });
    draft = await submit({ task: 'generate_draft', payload: { brief: 'hello', platform: 'linkedin', campaign_id: 'c-42' }, tags: ['env=prod'] });
    done = await submit({ task: 'ping' });
    const claim = (await claimTask(h.db, done))!;
    await completeTask(h.db, { ...claim, result: 'pong', retentionMs: 60_000 });
    theirs = await submit(
      { task: 'generate_draft', payload: { brief: 'x', platform: 'linkedin', campaign_id: 'c-42' }, tags: ['campaign:spring', 'env=prod'] },
      h.keyB,
    );
  });

  it('filters by one or several statuses, task and queue', async () => {
    expect(ids(await get('/tasks?status=SUCCESS'))).toEqual([done]);
    expect(ids(await get('/tasks?status=success,pending'))).toEqual(expect.arrayContaining([done, spring, summer, draft]));
    expect(ids(await get('/tasks?status=PENDING&status=SUCCESS')).length).toBeGreaterThanOrEqual(4);
    expect(ids(await get('/tasks?queue=generation'))).toEqual([draft]);
    expect(ids(await get('/tasks?task=ping'))).toEqual([done]);
  });

  it('filters by campaign_id and by tags (every tag given), and combines filters', async () => {
    expect(ids(await get('/tasks?campaign_id=c-42'))).toEqual([draft]);
    expect(ids(await get('/tasks?campaign_id=c-43'))).toEqual([]);
    expect(ids(await get('/tasks?tag=env=prod'))).toEqual([draft, summer, spring]);
    expect(ids(await get('/tasks?tag=env=prod,campaign:spring'))).toEqual([spring]);
    expect(ids(await get('/tasks?tag=env=prod&tag=campaign:summer'))).toEqual([summer]);
    expect(ids(await get('/tasks?tag=env=prod&queue=monitoring&status=PENDING'))).toEqual([summer, spring]);
  });

  it('filters by creation time, and pages a filtered list', async () => {
    const created = async (id: string) => (await get(`/tasks/${id}`)).body.created_at as string;
    const after = await get(`/tasks?tag=env=prod&created_after=${encodeURIComponent(await created(summer))}`);
    expect(ids(after)).toEqual([draft, summer]);
    const before = await get(`/tasks?tag=env=prod&created_before=${encodeURIComponent(await created(summer))}`);
    expect(ids(before)).toEqual([spring]);
    const first = await get('/tasks?tag=env=prod&limit=2');
    expect(ids(first)).toEqual([draft, summer]);
    const second = await get(`/tasks?tag=env=prod&limit=2&cursor=${first.body.next_cursor}`);
    expect(ids(second)).toEqual([spring]);
    expect(second.body.next_cursor).toBeNull();
  });

  it("never shows another tenant's tasks, whatever the filter", async () => {
    for (const query of ['campaign_id=c-42', 'tag=campaign:spring', 'queue=generation']) expect(ids(await get(`/tasks?${query}`))).not.toContain(theirs);
    expect(ids(await get('/tasks?campaign_id=c-42', h.keyB))).toEqual([theirs]);
  });

  it('answers 400 naming the parameter for bad values', async () => {
    const cases: [string, string][] = [
      ['status=NOPE', 'query.status'],
      ['queue=nope', 'query.queue'],
      ['tag=bad%20tag!', 'query.tag'],
      ['tag=', 'query.tag'],
      ['created_after=yesterday', 'query.created_after'],
      ['created_before=2026-13-01', 'query.created_before'],
      ['created_after=0000-01-01', 'query.created_after'],
      ['created_before=3000-01-01T00:00:00Z', 'query.created_before'],
      ['created_after=2026-12-05&created_before=2026-12-01', 'query.created_after'],
      ['campaign_id=', 'query.campaign_id'],
      [`tag=${Array.from({ length: 11 }, (_, i) => `t${i}`).join(',')}`, 'query.tag'],
      ['colour=red', 'query.colour'],
      ['tag[a]=b', 'query.tag[a]'],
      ['campaign_id=a&campaign_id=b', 'query.campaign_id'],
      ['created_after=2026-12-05&created_after=2026-12-06', 'query.created_after'],
      [`campaign_id=${'c'.repeat(201)}`, 'query.campaign_id'],
    ];
    for (const [query, path] of cases) {
      const res = await get(`/tasks?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect({ query, named: res.body.issues.some((i: { path: string }) => i.path === path || i.path.startsWith(`${path}.`)) }).toEqual({ query, named: true });
      expect(res.body.message).toContain(path.slice('query.'.length));
    }
  });
});

describe('GET /tasks/{id}: the full record', () => {
  it('says how each task came to be: api, batch, schedule, follow_up; a retry or replay keeps it and says requeued_by', async () => {
    const single = await submit({ task: 'ping' });
    const batch = await request(h.app)
      .post('/api/v1/tasks/batch')
      .set(auth(h.keyA))
      .send({ tasks: [{ task: 'ping' }, { task: 'ping' }] });
    const schedule = await request(h.app)
      .post('/api/v1/schedules')
      .set(auth(h.keyA))
      .send({ name: 'runs', task: 'ping', kind: 'cron', cron: '0 9 * * 1-5', timezone: 'UTC' });
    expect(schedule.body).toMatchObject({ schedule_id: expect.any(String) });
    const fired = await request(h.app).post(`/api/v1/schedules/${schedule.body.schedule_id}/trigger`).set(auth(h.keyA));
    expect(fired.status).toBe(202);
    const fire = { row: { id: fired.body.task_id as string } };
    expect(ids(await get(`/tasks?schedule_id=${schedule.body.schedule_id}`))).toEqual([fire.row.id]);
    const [followUp] = await insertTasks(h.db, [taskRow(policies, { tenantId: h.tenantA, task: 'ping', payload: {}, origin: 'follow_up' })]);
    const originOf = async (id: string) => (await get(`/tasks/${id}`)).body.origin;
    expect(await originOf(single)).toBe('api');
    expect(await originOf(batch.body.tasks[0].task_id)).toBe('batch');
    expect(await originOf(fire.row.id)).toBe('schedule');
    expect(await originOf(followUp!.row.id)).toBe('follow_up');
    expect(ids(await get(`/tasks?queue=monitoring&limit=200`))).toEqual(expect.arrayContaining([single, fire.row.id]));

    const retried = await failForGood(h.db, await submit({ task: 'ping' }));
    expect((await request(h.app).post(`/api/v1/tasks/${retried}/retry`).set(auth(h.keyA))).status).toBe(202);
    expect((await get(`/tasks/${retried}`)).body).toMatchObject({ origin: 'api', requeued_by: 'retry' });
    const replayed = await failForGood(h.db, await submit({ task: 'ping' }));
    const admin = await createAdminKey(h.db);
    expect(
      (
        await request(h.app)
          .post('/api/v1/admin/dead-letters/replay')
          .set(auth(admin))
          .send({ task_ids: [replayed] })
      ).status,
    ).toBe(202);
    expect((await get(`/tasks/${replayed}`)).body).toMatchObject({ origin: 'api', requeued_by: 'replay' });
    expect((await get(`/tasks/${single}`)).body.requeued_by).toBeNull();
  });

  it("shows each attempt's worker, duration and cost, the latest worker and the total cost", async () => {
    const id = await submit({ task: 'generate_draft', payload: { brief: 'b', platform: 'linkedin', campaign_id: 'c-1' } });
    const costs = new CostTracker(h.db, quietLogger());
    const spend = async (attempt: number | undefined, usd: number) => {
      const reservation = (await costs.reserve(h.tenantA, 1, { taskId: id, ttlMs: 60_000 }))!;
      await costs.settle(reservation, {
        taskId: id,
        attempt,
        actionType: 'generate_draft',
        modelUsed: 'sim',
        promptTokens: 10,
        completionTokens: 20,
        costUsd: usd,
      });
    };
    const first = (await claimTask(h.db, id, 'worker-one'))!;
    await spend(1, 0.0125);
    await scheduleRetry(h.db, { ...first, error: { type: 'Error', message: 'upstream 503' }, nextAttemptInMs: 0 });
    await claimTask(h.db, id, 'worker-two');
    await spend(undefined, 0.002); // no attempt given: the task's current one
    const running = (await get(`/tasks/${id}`)).body;
    expect(running).toMatchObject({ queue: 'generation', origin: 'api', worker: 'worker-two', cost_usd: 0.0145 });
    expect(running.attempt_history).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'retry', worker: 'worker-one', duration_ms: expect.any(Number), cost_usd: 0.0125 }),
      expect.objectContaining({ attempt: 2, outcome: 'running', worker: 'worker-two', duration_ms: null, cost_usd: 0.002 }),
    ]);
    expect(running.attempt_history[0].duration_ms).toBeGreaterThanOrEqual(0);
    // The list stays cheap: no history, no cost, no worker.
    const listed = (await get('/tasks?campaign_id=c-1')).body.tasks[0];
    expect(listed).toMatchObject({ task_id: id, queue: 'generation', origin: 'api' });
    expect(listed).not.toHaveProperty('cost_usd');
    expect(listed).not.toHaveProperty('attempt_history');
  });

  it('answers a task nobody ran with no worker and no cost', async () => {
    const id = await submit({ task: 'ping' });
    expect((await get(`/tasks/${id}`)).body).toMatchObject({ worker: null, cost_usd: 0, attempt_history: [] });
  });
});

describe('ctx.log and GET /tasks/{id}/logs', () => {
  it('stores each line with its attempt, oldest first, redacted, and pages them', async () => {
    const id = await submit({ task: 'test_task', payload: { message: 'logs' } });
    await runWith(id, async (_p, ctx) => {
      ctx.log('info', 'fetching the page', { url: 'https://example.com' });
      ctx.log('debug', 'called with Bearer abcdefghijklmnop', { api_key: 'cvk_abcdefghijklmnopqrstuvwxyz', nested: { password: 'hunter2' } });
      ctx.log('warn', 'slow answer', { ms: 1200 });
      return { echo: 'logs' };
    });
    const all = (await get(`/tasks/${id}/logs`)).body;
    expect(all.logs.map((l: { level: string; message: string }) => [l.level, l.message])).toEqual([
      ['info', 'fetching the page'],
      ['debug', 'called with Bearer [redacted]'],
      ['warn', 'slow answer'],
    ]);
    expect(all.logs[1].fields).toEqual({ api_key: '[redacted]', nested: { password: '[redacted]' } });
    expect(all.logs[0]).toEqual({
      seq: expect.any(Number),
      at: expect.any(String),
      attempt: 1,
      level: 'info',
      message: 'fetching the page',
      fields: { url: 'https://example.com' },
    });
    expect(JSON.stringify(all)).not.toContain('hunter2');
    expect(all.next_cursor).toBeNull();

    const first = (await get(`/tasks/${id}/logs?limit=2`)).body;
    expect(first.logs).toHaveLength(2);
    const second = (await get(`/tasks/${id}/logs?limit=2&cursor=${first.next_cursor}`)).body;
    expect(second).toEqual({ logs: [all.logs[2]], next_cursor: null });
  });

  it('caps a line and the task: a long message is cut, large fields are replaced, past the cap one marker line', async () => {
    const id = await submit({ task: 'test_task', payload: { message: 'caps' } });
    const extra = 5;
    await runWith(id, async (_p, ctx) => {
      ctx.log('info', 'x'.repeat(5000), { blob: 'y'.repeat(10_000) });
      for (let i = 1; i < TASK_LOG_LIMITS.linesPerTask + extra; i += 1) ctx.log('info', `line ${i}`);
      return { echo: 'caps' };
    });
    const rows = await h.db.selectFrom('task_logs').selectAll().where('task_id', '=', id).orderBy('seq').execute();
    expect(rows).toHaveLength(TASK_LOG_LIMITS.linesPerTask + 1);
    expect(rows[0]!.message).toHaveLength(TASK_LOG_LIMITS.messageChars);
    expect(rows[0]!.fields).toEqual({ fields_dropped: expect.stringMatching(/bytes of JSON/) });
    expect(rows.at(-2)!.message).toBe(`line ${TASK_LOG_LIMITS.linesPerTask - 1}`);
    expect(rows.at(-1)).toMatchObject({ level: 'warn', message: expect.stringMatching(/dropped/) });
    // A retried attempt adds nothing past the cap, and no second marker.
    await h.db.updateTable('tasks').set({ status: 'RETRY' }).where('id', '=', id).execute();
    await runWith(id, async (_p, ctx) => {
      ctx.log('info', 'one more');
      return { echo: 'caps' };
    });
    expect(await h.db.selectFrom('task_logs').select('seq').where('task_id', '=', id).execute()).toHaveLength(TASK_LOG_LIMITS.linesPerTask + 1);
  });

  it("answers 404 for another tenant's task, 401 for a task token, 400 for a bad cursor or limit", async () => {
    const id = await submit({ task: 'ping' });
    expect((await get(`/tasks/${id}/logs`, h.keyB)).status).toBe(404);
    const token = (await request(h.app).post(`/api/v1/tasks/${id}/tokens`).set(auth(h.keyA)).send({})).body.token as string;
    const withToken = await request(h.app).get(`/api/v1/tasks/${id}/logs?token=${token}`);
    expect(withToken.status).toBe(401);
    expect(withToken.body.error).toBe('task_token_not_accepted');
    for (const query of ['cursor=nope', 'cursor=MA', 'limit=0', 'limit=1001', 'limit=abc', 'level=info']) {
      expect({ query, status: (await get(`/tasks/${id}/logs?${query}`)).status }).toEqual({ query, status: 400 });
    }
    expect((await get('/tasks/not-a-uuid/logs')).status).toBe(400);
  });

  it('deletes the lines with their task', async () => {
    const id = await submit({ task: 'test_task', payload: { message: 'gone' } });
    await runWith(id, async (_p, ctx) => {
      ctx.log('info', 'soon gone');
      return { echo: 'gone' };
    });
    await h.db.deleteFrom('tasks').where('id', '=', id).execute();
    expect(await h.db.selectFrom('task_logs').select('seq').where('task_id', '=', id).execute()).toEqual([]);
  });
});

describe('log events on GET /tasks/{id}/events', () => {
  let base: string;
  let server: import('node:http').Server;
  beforeAll(async () => {
    server = h.app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/api/v1`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  type Event = { id: string; event: string; data: { message?: string; seq?: number; status?: string } };
  /** Reads a stream until it ends, or until `enough` says so (then drops the connection). */
  async function read(path: string, headers: Record<string, string>, enough: (events: Event[]) => boolean = () => false, onOpen?: () => Promise<void>) {
    const aborter = new AbortController();
    const res = await fetch(`${base}${path}`, { headers, signal: aborter.signal });
    expect(res.status).toBe(200);
    const events: Event[] = [];
    const opened = onOpen?.();
    try {
      for await (const batch of sseBatches(res.body!)) {
        for (const { id, event, data } of batch) if (id && event && data) events.push({ id, event, data: JSON.parse(data) });
        if (enough(events)) aborter.abort();
      }
    } catch (error) {
      if (!aborter.signal.aborted) throw error;
    }
    await opened;
    return events;
  }

  it('streams each line once, before the end; a reconnect with Last-Event-ID gets only later lines; a token stream gets none', async () => {
    const id = await submit({ task: 'test_task', payload: { message: 'live' } });
    const events = await read(`/tasks/${id}/events`, auth(h.keyA), undefined, () =>
      runWith(id, async (_p, ctx) => {
        for (let i = 1; i <= 3; i += 1) ctx.log('info', `live ${i}`);
        await ctx.progress(50, 'half');
        ctx.log('info', 'live 4');
        return { echo: 'live' };
      }).then(() => undefined),
    );
    const logs = events.filter((e) => e.event === 'log');
    expect(logs.map((e) => e.data.message)).toEqual(['live 1', 'live 2', 'live 3', 'live 4']);
    expect(events.at(-1)!.event).toBe('end');
    expect(events.findIndex((e) => e.event === 'end')).toBeGreaterThan(events.indexOf(logs.at(-1)!));

    const resumed = await read(`/tasks/${id}/events`, { ...auth(h.keyA), 'Last-Event-ID': logs[1]!.id });
    expect(resumed.filter((e) => e.event === 'log').map((e) => e.data.message)).toEqual(['live 3', 'live 4']);
    expect(resumed.at(-1)!.event).toBe('end');
    const afresh = await read(`/tasks/${id}/events`, auth(h.keyA));
    expect(afresh.filter((e) => e.event === 'log')).toHaveLength(4);

    const token = (await request(h.app).post(`/api/v1/tasks/${id}/tokens`).set(auth(h.keyA)).send({})).body.token as string;
    const viaToken = await read(`/tasks/${id}/events?token=${token}`, {});
    expect(viaToken.map((e) => e.event)).toEqual(['end']);
  });

  it("answers 404 for another tenant's stream", async () => {
    const other = await createTenantWithKey(h.db, { name: 'c', plan: 'growth' });
    const id = await submit({ task: 'ping' });
    expect((await fetch(`${base}/tasks/${id}/events`, { headers: auth(other.apiKey) })).status).toBe(404);
  });
});
