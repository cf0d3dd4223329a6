import { randomUUID } from 'node:crypto';
import { TASK_NAMES } from '@conveyor/contracts';
import { createTenantWithKey, insertSchedule } from '@conveyor/db';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

// What a client of any well-made HTTP API expects, the same on every route.

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const submit = (body: object, headers: Record<string, string> = {}) =>
  request(h.app)
    .post('/api/v1/tasks')
    .set({ ...auth(h.keyA), ...headers })
    .send(body);

describe('the Idempotency-Key header', () => {
  it('works like the body field: a retried request returns the same task', async () => {
    const key = `header-${randomUUID()}`;
    const first = await submit({ task: 'test_task', payload: { message: 'once' } }, { 'Idempotency-Key': key });
    const again = await submit({ task: 'test_task', payload: { message: 'once' } }, { 'Idempotency-Key': key });
    expect([first.status, again.status]).toEqual([202, 200]);
    expect(again.body.task_id).toBe(first.body.task_id);
    // The body field with the same key names the same task.
    const viaBody = await submit({ task: 'test_task', payload: { message: 'once' }, idempotency_key: key });
    expect(viaBody.body.task_id).toBe(first.body.task_id);
  });

  it('answers 409 naming the existing task when the key was used for another payload', async () => {
    const key = `header-${randomUUID()}`;
    const first = await submit({ task: 'test_task', payload: { message: 'a' } }, { 'Idempotency-Key': key });
    const other = await submit({ task: 'test_task', payload: { message: 'b' } }, { 'Idempotency-Key': key });
    expect(other.status).toBe(409);
    expect(other.body.message).toContain(first.body.task_id);
  });

  it('answers 400 when the header and the body field disagree, or the header is too long', async () => {
    const res = await submit({ task: 'ping', idempotency_key: 'one' }, { 'Idempotency-Key': 'two' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/Idempotency-Key header and idempotency_key differ/);
    expect((await submit({ task: 'ping' }, { 'Idempotency-Key': 'x'.repeat(201) })).status).toBe(400);
  });

  it('keys each item of a batch as "<key>:<index>", so a retried batch makes nothing twice', async () => {
    const key = `batch-${randomUUID()}`;
    const body = { tasks: [{ task: 'ping' }, { task: 'ping', idempotency_key: `own-${key}` }] };
    const first = await request(h.app)
      .post('/api/v1/tasks/batch')
      .set({ ...auth(h.keyA), 'Idempotency-Key': key })
      .send(body);
    const again = await request(h.app)
      .post('/api/v1/tasks/batch')
      .set({ ...auth(h.keyA), 'Idempotency-Key': key })
      .send(body);
    expect(first.body.created).toBe(2);
    expect(again.body.created).toBe(0);
    expect(again.body.tasks.map((t: { task_id: string }) => t.task_id)).toEqual(first.body.tasks.map((t: { task_id: string }) => t.task_id));
    const rows = await h.db
      .selectFrom('tasks')
      .select(['idempotency_key'])
      .where(
        'id',
        'in',
        first.body.tasks.map((t: { task_id: string }) => t.task_id),
      )
      .execute();
    expect(rows.map((r) => r.idempotency_key).sort()).toEqual([`${key}:0`, `own-${key}`].sort());
  });
});

describe('methods', () => {
  it('answers 405 with Allow for a known path and a method it does not take', async () => {
    const cases: [string, string, string][] = [
      ['delete', '/api/v1/tasks', 'GET, HEAD, POST'],
      ['put', `/api/v1/tasks/${randomUUID()}`, 'GET, HEAD'],
      ['get', `/api/v1/tasks/${randomUUID()}/cancel`, 'POST'],
      ['post', '/api/v1/usage', 'GET, HEAD'],
      ['post', '/healthz', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await (request(h.app) as unknown as Record<string, (p: string) => request.Test>)[method]!(path).set(auth(h.keyA));
      expect([path, res.status, res.headers.allow]).toEqual([path, 405, allow]);
      expect(res.body).toMatchObject({ error: 'method_not_allowed', message: expect.stringContaining(`use ${allow}`) });
    }
  });

  it('still answers 404 for a path no route serves', async () => {
    expect((await request(h.app).delete('/api/v1/nothing-here').set(auth(h.keyA))).status).toBe(404);
  });
});

describe('query strings', () => {
  it('names the parameter in query errors, under query', async () => {
    const res = await request(h.app).get('/api/v1/tasks?limit=abc').set(auth(h.keyA));
    expect(res.status).toBe(400);
    expect(res.body.issues[0].path).toBe('query.limit');
    expect(res.body.message).toMatch(/^Invalid query: query\.limit/);
  });

  it('refuses unknown parameters the same way on every route', async () => {
    const id = (await submit({ task: 'ping' })).body.task_id as string;
    const routes: [string, string][] = [
      ['get', '/api/v1/tasks?bogus=1'],
      ['get', `/api/v1/tasks/${id}?bogus=1`],
      ['get', `/api/v1/tasks/${id}/result?bogus=1`],
      ['get', '/api/v1/usage?bogus=1'],
      ['get', '/api/v1/schedules?bogus=1'],
      ['get', '/api/v1/task-types?bogus=1'],
      ['post', '/api/v1/tasks?bogus=1'],
      ['post', '/api/v1/tasks/test?bogus=1'],
    ];
    for (const [method, path] of routes) {
      const res = await (request(h.app) as unknown as Record<string, (p: string) => request.Test>)[method]!(path).set(auth(h.keyA)).send({ task: 'ping' });
      expect([path, res.status, res.body.issues?.[0]?.path]).toEqual([path, 400, 'query.bogus']);
      expect(res.body.issues[0].message).toMatch(/^unknown parameter; this route takes/);
    }
    const admin = await request(h.app).get('/api/v1/admin/dead-letters?bogus=1').set(auth(h.adminKey));
    expect(admin.body.issues[0]).toEqual({ path: 'query.bogus', message: 'unknown parameter; this route takes task, tenant_id, cursor, limit' });
  });

  it('filters tasks by several statuses, in any case, comma-separated or repeated', async () => {
    const { apiKey: key } = await createTenantWithKey(h.db, { name: `statuses-${randomUUID()}`, plan: 'growth' });
    const pending = (await request(h.app).post('/api/v1/tasks').set(auth(key)).send({ task: 'ping' })).body.task_id;
    const revoked = (await request(h.app).post('/api/v1/tasks').set(auth(key)).send({ task: 'ping' })).body.task_id;
    await request(h.app).post(`/api/v1/tasks/${revoked}/cancel`).set(auth(key));
    const ids = async (query: string) =>
      (await request(h.app).get(`/api/v1/tasks?${query}`).set(auth(key))).body.tasks.map((t: { task_id: string }) => t.task_id).sort();
    expect(await ids('status=pending')).toEqual([pending]);
    expect(await ids('status=Pending,REVOKED')).toEqual([pending, revoked].sort());
    expect(await ids('status=pending&status=revoked')).toEqual([pending, revoked].sort());
    expect(await ids('status=success')).toEqual([]);
    const bad = await request(h.app).get('/api/v1/tasks?status=pending,done').set(auth(key));
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toMatch(/^query\.status/);
  });
});

describe('one pagination field', () => {
  it('pages schedules with cursor and next_cursor, like tasks and dead letters', async () => {
    const names = ['s-a', 's-b', 's-c'];
    for (const name of names) {
      const res = await request(h.app).post('/api/v1/schedules').set(auth(h.keyB)).send({ name, task: 'ping', kind: 'cron', cron: '0 9 * * *' });
      expect(res.status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(h.app)
        .get('/api/v1/schedules')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(auth(h.keyB));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['next_cursor', 'schedules']);
      seen.push(...res.body.schedules.map((s: { name: string }) => s.name));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(names);
    for (const list of ['/api/v1/tasks', '/api/v1/admin/dead-letters']) {
      const res = await request(h.app)
        .get(list)
        .set(auth(list.includes('admin') ? h.adminKey : h.keyA));
      expect(res.body).toHaveProperty('next_cursor');
    }
  });
});

describe('discovering the API', () => {
  it('GET / points to the docs', async () => {
    const res = await request(h.app).get('/');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ docs: '/docs', openapi: '/docs/openapi.json', api: '/api/v1' });
  });

  it('GET /task-types lists every task with its queue, JSON Schemas and policy', async () => {
    const res = await request(h.app).get('/api/v1/task-types').set(auth(h.keyA));
    expect(res.status).toBe(200);
    expect(res.body.task_types.map((t: { name: string }) => t.name)).toEqual(TASK_NAMES);
    const testTask = res.body.task_types.find((t: { name: string }) => t.name === 'test_task');
    expect(testTask).toMatchObject({
      queue: 'monitoring',
      payload_schema: { type: 'object', properties: { message: { type: 'string' } } },
      result_schema: { type: 'object' },
      policy: { attempts: expect.any(Number), backoff: { base_ms: expect.any(Number), max_ms: expect.any(Number) }, hard_timeout_ms: expect.any(Number) },
    });
  });
});

describe('a task and its origin', () => {
  it('shows the payload and the schedule that fired it, and lists a schedule’s tasks', async () => {
    const schedule = await insertSchedule(h.db, {
      tenant_id: h.tenantA,
      name: `origin-${randomUUID()}`,
      kind: 'cron',
      cron: '0 9 * * *',
      run_at: null,
      rrule: null,
      dtstart: null,
      timezone: 'UTC',
      task: 'test_task',
      payload: { message: 'from a schedule' },
      misfire_policy: 'fire_once',
      end_at: null,
      enabled: true,
      next_run_at: new Date(Date.now() + 3_600_000),
    });
    const fired = await request(h.app).post(`/api/v1/schedules/${schedule.id}/trigger`).set(auth(h.keyA));
    expect(fired.status).toBe(202);
    const direct = (await submit({ task: 'test_task', payload: { message: 'direct' } })).body.task_id;

    const view = await request(h.app).get(`/api/v1/tasks/${fired.body.task_id}`).set(auth(h.keyA));
    expect(view.body).toMatchObject({ schedule_id: schedule.id, payload: { message: 'from a schedule' } });
    const directView = await request(h.app).get(`/api/v1/tasks/${direct}`).set(auth(h.keyA));
    expect(directView.body).toMatchObject({ schedule_id: null, payload: { message: 'direct' } });

    const listed = await request(h.app).get('/api/v1/tasks').query({ schedule_id: schedule.id }).set(auth(h.keyA));
    expect(listed.body.tasks.map((t: { task_id: string }) => t.task_id)).toEqual([fired.body.task_id]);
    expect(listed.body.tasks[0].schedule_id).toBe(schedule.id);
    // Another tenant asking for that schedule's tasks sees none.
    const foreign = await request(h.app).get('/api/v1/tasks').query({ schedule_id: schedule.id }).set(auth(h.keyB));
    expect(foreign.body.tasks).toEqual([]);
  });
});

describe('security headers', () => {
  it('are on every answer: nosniff, no framing, no X-Powered-By, and a policy that loads nothing on JSON', async () => {
    const answers = [
      await request(h.app).get('/healthz'),
      await request(h.app).get('/api/v1/tasks').set(auth(h.keyA)),
      await request(h.app).get('/api/v1/tasks'),
      await request(h.app).get('/nowhere'),
      await request(h.app).post('/api/v1/tasks').set(auth(h.keyA)).set('Content-Type', 'application/json').send('{broken'),
    ];
    for (const res of answers) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it("give the HTML pages a policy of their own, with frame-ancestors 'none'", async () => {
    const docs = await request(h.app).get('/docs/');
    expect(docs.headers['content-security-policy']).toMatch(/script-src 'self'.*frame-ancestors 'none'|frame-ancestors 'none'.*script-src 'self'/);
    const basic = `Basic ${Buffer.from(`admin:${h.adminKey}`).toString('base64')}`;
    for (const path of ['/admin/queues', '/admin/dead-letters']) {
      const res = await request(h.app).get(path).set('Authorization', basic);
      expect(res.status).toBe(200);
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});
