import { TASK_NAMES } from '@conveyor/contracts';
import { claimTask, completeTask, createAdminKey, failTask, recordProgress } from '@conveyor/db';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

async function submit(key: string, body: unknown) {
  return request(h.app)
    .post('/api/v1/tasks')
    .set(auth(key))
    .send(body as object);
}

describe('authentication', () => {
  it('answers 401 without a key, with a malformed header, or with an unknown key', async () => {
    for (const headers of [{}, { Authorization: 'Basic abc' }, { Authorization: 'Bearer cvk_unknown' }]) {
      const res = await request(h.app).get('/api/v1/tasks/00000000-0000-4000-8000-000000000000').set(headers);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'unauthorized', message: expect.stringMatching(/API key/) });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('refuses admin keys on tenant routes with a clear message', async () => {
    const admin = await createAdminKey(h.db);
    const res = await submit(admin, { task: 'ping' });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('tenant_key_required');
  });
});

describe('POST /api/v1/tasks', () => {
  it('accepts a task at once: 202, a committed PENDING row and a job whose id is the task id', async () => {
    const res = await submit(h.keyA, { task: 'test_task', payload: { message: 'hi' } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ task_id: expect.any(String), status: 'PENDING', message: expect.any(String) });
    expect(res.headers.location).toBe(`/api/v1/tasks/${res.body.task_id}`);
    const row = await h.db.selectFrom('tasks').selectAll().where('id', '=', res.body.task_id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'PENDING', task: 'test_task', queue: 'monitoring', payload: { message: 'hi', steps: 5, step_ms: 200 } });
    const job = await h.producer.queue('monitoring').getJob(res.body.task_id);
    expect(job?.name).toBe('test_task');
    // Only the id travels through Redis; the payload stays in Postgres.
    expect(job?.data).toEqual({ task_id: res.body.task_id });
  });

  it('names the known tasks when the task is unknown', async () => {
    const res = await submit(h.keyA, { task: 'rm_rf', payload: {} });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'unknown_task', message: expect.stringContaining(TASK_NAMES.join(', ')) });
    expect(res.body.message).toContain('test_task');
  });

  it('answers 400 with the zod issues for a payload the task rejects, and writes nothing', async () => {
    const before = await h.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const res = await submit(h.keyA, { task: 'test_task', payload: { message: '', steps: 99 } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['payload.message', 'payload.steps']);
    const after = await h.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toEqual(before.n);
  });

  it.each([
    ['a missing task name', { payload: {} }, 'task'],
    ['an unknown field', { task: 'ping', surprise: 1 }, '(body)'],
    ['a payload that is not an object', { task: 'ping', payload: 'x' }, 'payload'],
    ['a body that is an array', [1, 2], '(body)'],
  ])('answers 400 for %s', async (_label, body, path) => {
    const res = await submit(h.keyA, body);
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it('answers 400 for malformed JSON and for a body that is not JSON', async () => {
    const bad = await request(h.app).post('/api/v1/tasks').set(auth(h.keyA)).set('Content-Type', 'application/json').send('{"task": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_json');
    const text = await request(h.app).post('/api/v1/tasks').set(auth(h.keyA)).set('Content-Type', 'text/plain').send('ping');
    expect(text.status).toBe(400);
    expect(text.body.message).toMatch(/application\/json/);
  });

  it('answers 400, not 500, for text Postgres cannot store (a NUL character), and writes nothing', async () => {
    const before = await h.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const res = await submit(h.keyA, { task: 'test_task', payload: { message: 'nul \u0000 inside' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'unstorable_text', message: expect.stringMatching(/NUL/) });
    const after = await h.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('answers 413 past the body limit', async () => {
    const res = await submit(h.keyA, { task: 'test_task', payload: { message: 'x'.repeat(20_000) } });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'payload_too_large', message: expect.stringContaining('10000') });
  });

  it('keeps the tags and metadata a submission carries and shows them with the task, single or batch', async () => {
    const metadata = { customer: 'acme', attempt: { of: 'checkout' }, ids: [1, 2] };
    const one = await submit(h.keyA, { task: 'ping', tags: ['campaign:spring', 'env=prod'], metadata });
    expect(one.status).toBe(202);
    const view = await request(h.app).get(`/api/v1/tasks/${one.body.task_id}`).set(auth(h.keyA));
    expect(view.body).toMatchObject({ tags: ['campaign:spring', 'env=prod'], metadata });
    const batch = await request(h.app)
      .post('/api/v1/tasks/batch')
      .set(auth(h.keyA))
      .send({ tasks: [{ task: 'ping', tags: ['batch'] }, { task: 'ping' }] });
    expect(batch.status).toBe(202);
    const listed = await request(h.app).get('/api/v1/tasks').query({ task: 'ping', limit: 100 }).set(auth(h.keyA));
    const byId = new Map(listed.body.tasks.map((t: { task_id: string }) => [t.task_id, t]));
    expect(byId.get(batch.body.tasks[0].task_id)).toMatchObject({ tags: ['batch'], metadata: null });
    expect(byId.get(batch.body.tasks[1].task_id)).toMatchObject({ tags: [], metadata: null });
  });

  it('refuses tags and metadata it cannot keep, naming what is wrong, and writes nothing', async () => {
    const cases: [object, RegExp][] = [
      [{ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, /at most 10 tags/],
      [{ tags: ['same', 'same'] }, /a tag appears twice/],
      [{ tags: ['has space'] }, /a tag is 1 to 64 letters/],
      [{ tags: ['x'.repeat(65)] }, /tags\.0/],
      [{ tags: 'not-a-list' }, /tags/],
      [{ metadata: ['a list'] }, /metadata/],
      [{ metadata: { big: 'x'.repeat(5000) } }, /metadata is at most 4096 bytes/],
      [{ metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, /at most 50 keys/],
    ];
    const before = await h.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    for (const [extra, message] of cases) {
      const res = await submit(h.keyA, { task: 'ping', ...extra });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(message);
    }
    const after = await h.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('POST /tasks/test submits test_task with the query message', async () => {
    const res = await request(h.app).post('/api/v1/tasks/test?message=Bonjour').set(auth(h.keyA));
    expect(res.status).toBe(202);
    const row = await h.db.selectFrom('tasks').selectAll().where('id', '=', res.body.task_id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ task: 'test_task', payload: { message: 'Bonjour' } });
    const tooLong = await request(h.app)
      .post(`/api/v1/tasks/test?message=${'y'.repeat(1001)}`)
      .set(auth(h.keyA));
    expect(tooLong.status).toBe(400);
  });
});

describe('reading tasks', () => {
  it('shows status, progress and result through the life of a task', async () => {
    const { body } = await submit(h.keyA, { task: 'test_task', payload: { message: 'life' } });
    const id = body.task_id as string;
    const view = async () => (await request(h.app).get(`/api/v1/tasks/${id}`).set(auth(h.keyA))).body;

    expect(await view()).toMatchObject({ task_id: id, task: 'test_task', status: 'PENDING', progress: 0, attempts: 0, started_at: null, finished_at: null });
    expect((await request(h.app).get(`/api/v1/tasks/${id}/result`).set(auth(h.keyA))).body).toEqual({ task_id: id, status: 'PENDING', result: null });

    const claim = (await claimTask(h.db, id))!;
    await recordProgress(h.db, { id, attempt: claim.attempt, progress: 40, message: 'step 2 of 5' });
    expect(await view()).toMatchObject({ status: 'PROGRESS', progress: 40, message: 'step 2 of 5', attempts: 1, started_at: expect.any(String) });

    await completeTask(h.db, { id, attempt: claim.attempt, result: { echo: 'life' }, retentionMs: 60_000 });
    expect(await view()).toMatchObject({ status: 'SUCCESS', progress: 100, finished_at: expect.any(String) });
    expect((await request(h.app).get(`/api/v1/tasks/${id}/result`).set(auth(h.keyA))).body).toEqual({
      task_id: id,
      status: 'SUCCESS',
      result: { echo: 'life' },
    });
    expect((await request(h.app).get(`/api/v1/jobs/${id}/status`).set(auth(h.keyA))).body).toMatchObject({ task_id: id, status: 'SUCCESS' });
  });

  it('shows the error of a failed task', async () => {
    const { body } = await submit(h.keyA, { task: 'ping' });
    const claim = (await claimTask(h.db, body.task_id))!;
    await failTask(h.db, { id: body.task_id, attempt: claim.attempt, error: { type: 'Boom', message: 'it broke' }, retentionMs: 60_000 });
    const res = await request(h.app).get(`/api/v1/tasks/${body.task_id}/result`).set(auth(h.keyA));
    expect(res.body).toEqual({ task_id: body.task_id, status: 'FAILURE', error: { type: 'Boom', message: 'it broke' } });
  });

  it("answers 404 for another tenant's task, exactly as for a missing one", async () => {
    const { body } = await submit(h.keyA, { task: 'ping' });
    for (const path of [`/api/v1/tasks/${body.task_id}`, `/api/v1/tasks/${body.task_id}/result`, `/api/v1/jobs/${body.task_id}/status`]) {
      const res = await request(h.app).get(path).set(auth(h.keyB));
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('task_not_found');
      expect(JSON.stringify(res.body)).not.toContain('ping');
    }
    const missing = await request(h.app).get('/api/v1/tasks/00000000-0000-4000-8000-000000000000').set(auth(h.keyB));
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('task_not_found');
  });

  it('answers 400, never 500, for a malformed id', async () => {
    for (const id of ['abc', "1' or '1'='1", '%00', 'x'.repeat(500)]) {
      const res = await request(h.app)
        .get(`/api/v1/tasks/${encodeURIComponent(id)}`)
        .set(auth(h.keyA));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_task_id');
    }
  });
});

describe('the rest of the surface', () => {
  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const res = await request(h.app).get('/healthz').set('X-Request-Id', 'abc-123');
    expect(res.headers['x-request-id']).toBe('abc-123');
    const bad = await request(h.app).get('/healthz').set('X-Request-Id', 'no spaces allowed <>');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with JSON 404', async () => {
    const res = await request(h.app).get('/api/v2/nothing');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });

  it('serves readiness and metrics', async () => {
    expect((await request(h.app).get('/readyz')).body).toMatchObject({ status: 'ready', checks: { postgres: { ok: true }, redis: { ok: true } } });
    const metrics = await request(h.app).get('/metrics');
    expect(metrics.text).toMatch(/conveyor_http_request_duration_seconds_count\{[^}]*method="POST",route="\/api\/v1\/tasks",status="202"\} [1-9]/);
    expect(metrics.text).toMatch(/conveyor_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/tasks\/:id",status="404"\} [1-9]/);
  });
});
