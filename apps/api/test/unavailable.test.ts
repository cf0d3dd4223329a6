import { randomUUID } from 'node:crypto';
import { createSession, insertTask, writeNode } from '@conveyor/db';
import request from 'supertest';
import { type Harness, failForGood, startHarness } from './helpers';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('with Redis down', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ redisUrl: 'redis://127.0.0.1:1' })));
  afterAll(() => h.close());

  it('answers 503 with Retry-After to a submission and commits nothing', async () => {
    const res = await request(h.app).post('/api/v1/tasks').set(auth(h.keyA)).send({ task: 'ping' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body).toMatchObject({ error: 'service_unavailable', message: expect.stringMatching(/queue is unavailable/) });
    const rows = await h.db.selectFrom('tasks').select('id').execute();
    expect(rows).toEqual([]);
  });

  it('still validates first: bad input is a 400, not a 503', async () => {
    const res = await request(h.app).post('/api/v1/tasks').set(auth(h.keyA)).send({ task: 'nope' });
    expect(res.status).toBe(400);
  });

  it('answers 503 to publishing a post and leaves it a draft, with no task', async () => {
    const account = await request(h.app)
      .post('/api/v1/x-accounts')
      .set(auth(h.keyA))
      .send({ handle: 'down', api_tier: 'free', token_secret_ref: 'env:X_TOKEN_DOWN' });
    const post = await request(h.app).post('/api/v1/posts').set(auth(h.keyA)).send({ account_id: account.body.account_id, text: 'hello' });
    const res = await request(h.app).post(`/api/v1/posts/${post.body.post_id}/publish`).set(auth(h.keyA));
    expect([res.status, res.body.error]).toEqual([503, 'service_unavailable']);
    expect((await request(h.app).get(`/api/v1/posts/${post.body.post_id}`).set(auth(h.keyA))).body.status).toBe('draft');
    expect(await h.db.selectFrom('tasks').select('id').where('task', '=', 'publish_post').execute()).toEqual([]);
  });

  it('answers 503 to a chat message and leaves neither a task nor an active task on the session', async () => {
    const session = await createSession(h.db, { tenantId: h.tenantA, name: 'down' });
    async function* rows() {
      yield [['a@example.com']];
    }
    await writeNode(h.db, {
      id: randomUUID(),
      sessionId: session.id,
      tenantId: h.tenantA,
      parentId: null,
      taskId: null,
      program: null,
      source: null,
      chunks: rows(),
      finish: () => ({ columns: [{ name: 'email', type: 'string' }], transformation: 'Uploaded', rowsAffected: 1 }),
    });
    const res = await request(h.app).post(`/api/v1/sessions/${session.id}/chat`).set(auth(h.keyA)).send({ message: 'drop empty rows' });
    expect([res.status, res.body.error, res.headers['retry-after']]).toEqual([503, 'service_unavailable', '7']);
    expect(await h.db.selectFrom('tasks').select('id').where('task', '=', 'process_chat_message').execute()).toEqual([]);
    expect(
      (await h.db.selectFrom('dataset_sessions').select('active_task_id').where('id', '=', session.id).executeTakeFirstOrThrow()).active_task_id,
    ).toBeNull();
  });

  it('reports not ready', async () => {
    const res = await request(h.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks).toMatchObject({ postgres: { ok: true }, redis: { ok: false } });
  });
  it('retries a failed task anyway: the replay is committed and left to the reconciler to enqueue', async () => {
    const task = await insertTask(h.db, { id: randomUUID(), tenant_id: h.tenantA, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1 });
    await failForGood(h.db, task.id);
    const res = await request(h.app).post(`/api/v1/tasks/${task.id}/retry`).set(auth(h.keyA));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'PENDING', enqueued: false });
    expect(await h.db.selectFrom('tasks').select('status').where('id', '=', task.id).executeTakeFirstOrThrow()).toEqual({ status: 'PENDING' });
  });
});

describe('with Postgres down', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none' })));
  afterAll(() => h.close());

  it('answers 503, never 500, to every route that needs it', async () => {
    for (const [method, path] of [
      ['post', '/api/v1/tasks'],
      ['get', '/api/v1/tasks/00000000-0000-4000-8000-000000000000'],
    ] as const) {
      const res = await request(h.app)[method](path).set(auth(h.keyA)).send({ task: 'ping' });
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/database is unavailable/);
    }
    const ready = await request(h.app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.postgres.ok).toBe(false);
  });
});
