import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { claimTask, completeTask, deleteExpiredTaskTokens, hashApiKey } from '@conveyor/db';
import { sql } from 'kysely';
import request from 'supertest';
import { type Harness, type HarnessOptions, startHarness } from './helpers';

// Task tokens: POST /tasks/{id}/tokens gives a short-lived token that reads that one task with
// ?token= on GET /tasks/{id}, /result and /events (a browser's EventSource sends no headers).

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

async function withHarness(options: HarnessOptions, body: (h: Harness) => Promise<void>) {
  const h = await startHarness(options);
  try {
    await body(h);
  } finally {
    await h.close();
  }
}

const submit = (h: Harness, key: string) =>
  request(h.app)
    .post('/api/v1/tasks')
    .set(auth(key))
    .send({ task: 'test_task', payload: { message: 'hi' } })
    .expect(202);

async function newToken(h: Harness, taskId: string, key = h.keyA, body?: object): Promise<{ token: string; events_url: string; expires_at: string }> {
  const res = await request(h.app).post(`/api/v1/tasks/${taskId}/tokens`).set(auth(key)).send(body);
  expect(res.status).toBe(201);
  return res.body;
}

/** A task of tenant A that ran to SUCCESS, as a worker would have run it. */
async function finishedTask(h: Harness): Promise<string> {
  const id = (await submit(h, h.keyA)).body.task_id as string;
  const claim = (await claimTask(h.db, id))!;
  await completeTask(h.db, { ...claim, result: { echo: 'hi' }, retentionMs: 60_000 });
  return id;
}

const expire = (h: Harness, token: string) =>
  sql`update task_tokens set expires_at = now() - interval '1 second' where token_hash = ${hashApiKey(token)}`.execute(h.db);

describe('task tokens', () => {
  let h: Harness;
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  beforeAll(async () => (h = await startHarness({ logStream: logs })));
  afterAll(() => h.close());

  it("creates a token for the caller's task: 201 with the token, its expiry and the events URL", async () => {
    const id = (await submit(h, h.keyA)).body.task_id as string;
    const before = Date.now();
    const res = await request(h.app).post(`/api/v1/tasks/${id}/tokens`).set(auth(h.keyA));
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      token: expect.stringMatching(/^cvt_[A-Za-z0-9_-]{43}$/),
      task_id: id,
      expires_at: expect.any(String),
      events_url: `/api/v1/tasks/${id}/events?token=${res.body.token}`,
    });
    // Default lifetime 900 s (Postgres's clock and this one agree within a minute).
    const lifetime = (Date.parse(res.body.expires_at) - before) / 1000;
    expect(lifetime).toBeGreaterThan(840);
    expect(lifetime).toBeLessThan(960);
    const chosen = await request(h.app).post(`/api/v1/tasks/${id}/tokens`).set(auth(h.keyA)).send({ ttl_seconds: 30 });
    expect(chosen.status).toBe(201);
    expect((Date.parse(chosen.body.expires_at) - before) / 1000).toBeLessThan(90);
    // Only the hash is stored.
    const stored = await h.db.selectFrom('task_tokens').selectAll().where('task_id', '=', id).execute();
    expect(stored.map((r) => r.token_hash).sort()).toEqual([hashApiKey(res.body.token), hashApiKey(chosen.body.token)].sort());
    expect(JSON.stringify(stored)).not.toContain(res.body.token);
  });

  it('reads the task, its result and its events with only ?token=, readable from any origin', async () => {
    const id = await finishedTask(h);
    const { token, events_url } = await newToken(h, id);

    const task = await request(h.app).get(`/api/v1/tasks/${id}?token=${token}`);
    expect(task.status).toBe(200);
    expect(task.body).toMatchObject({ task_id: id, status: 'SUCCESS' });
    expect(task.headers['access-control-allow-origin']).toBe('*');
    expect(task.headers['access-control-allow-credentials']).toBeUndefined();

    const result = await request(h.app).get(`/api/v1/tasks/${id}/result?token=${token}`);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ task_id: id, status: 'SUCCESS', result: { echo: 'hi' } });
    expect(result.headers['access-control-allow-origin']).toBe('*');

    const head = await request(h.app).head(`/api/v1/tasks/${id}?token=${token}`);
    expect(head.status).toBe(200);

    // The task ended before the stream opened: the stream is its end, then closes.
    const events = await request(h.app).get(events_url).buffer(true);
    expect(events.status).toBe(200);
    expect(events.headers['content-type']).toMatch(/text\/event-stream/);
    expect(events.headers['access-control-allow-origin']).toBe('*');
    expect(events.text).toMatch(/^event: end$/m);
    expect(JSON.parse(/^data: (.*)$/m.exec(events.text)![1]!)).toMatchObject({ task_id: id, status: 'SUCCESS', result: { echo: 'hi' } });

    // The same reads with the API key keep their CORS behaviour: none.
    const withKey = await request(h.app).get(`/api/v1/tasks/${id}`).set(auth(h.keyA));
    expect(withKey.status).toBe(200);
    expect(withKey.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("reads its own task only: another task, or another tenant's, is a 404 like a task that does not exist", async () => {
    const id = (await submit(h, h.keyA)).body.task_id as string;
    const sibling = (await submit(h, h.keyA)).body.task_id as string;
    const foreign = (await submit(h, h.keyB)).body.task_id as string;
    const { token } = await newToken(h, id);
    const missing = await request(h.app).get(`/api/v1/tasks/${randomUUID()}?token=${token}`);
    expect(missing.status).toBe(404);
    for (const other of [sibling, foreign]) {
      for (const path of [`/api/v1/tasks/${other}`, `/api/v1/tasks/${other}/result`, `/api/v1/tasks/${other}/events`]) {
        const res = await request(h.app).get(`${path}?token=${token}`);
        expect([path, res.status, res.body.error]).toEqual([path, 404, 'task_not_found']);
        expect(res.body.message).toBe(`No task ${other}`);
        expect(Object.keys(res.body).sort()).toEqual(Object.keys(missing.body).sort());
      }
    }
    // Its own id in capitals is still its own task.
    expect((await request(h.app).get(`/api/v1/tasks/${id.toUpperCase()}?token=${token}`)).status).toBe(200);
  });

  it('answers 401 for an expired or unknown token, saying how to get a new one', async () => {
    const id = (await submit(h, h.keyA)).body.task_id as string;
    const { token } = await newToken(h, id);
    expect((await request(h.app).get(`/api/v1/tasks/${id}?token=${token}`)).status).toBe(200);
    await expire(h, token);
    const unknown = `cvt_${'A'.repeat(43)}`;
    for (const t of [token, unknown]) {
      const res = await request(h.app).get(`/api/v1/tasks/${id}/events?token=${t}`);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({
        error: 'invalid_task_token',
        message: `Unknown or expired task token; ask for a new one with POST /api/v1/tasks/${id}/tokens (with an API key)`,
      });
      expect(res.headers['www-authenticate']).toMatch(/invalid_token/);
      // A page on another origin can read why, to ask for a new token.
      expect(res.headers['access-control-allow-origin']).toBe('*');
    }
  });

  it('is refused on every other route and method, and never stands in for an API key', async () => {
    const id = (await submit(h, h.keyA)).body.task_id as string;
    const { token } = await newToken(h, id);
    const refusals: [string, string][] = [
      ['post', `/api/v1/tasks/${id}/cancel`],
      ['post', `/api/v1/tasks/${id}/retry`],
      ['post', `/api/v1/tasks/${id}/tokens`],
      ['get', '/api/v1/tasks'],
      ['get', '/api/v1/schedules'],
      ['get', `/api/v1/jobs/${id}/status`],
      ['get', '/api/v1/usage'],
      ['delete', `/api/v1/tasks/${id}`],
    ];
    for (const [method, path] of refusals) {
      const res = await (request(h.app) as unknown as Record<string, (p: string) => request.Test>)[method]!(`${path}?token=${token}`);
      expect([method, path, res.status, res.body.error]).toEqual([method, path, 401, 'task_token_not_accepted']);
      expect(res.body.message).toMatch(/^A task token only reads its own task, on GET \/api\/v1\/tasks\/\{id\}/);
    }
    // Nothing was cancelled.
    expect((await request(h.app).get(`/api/v1/tasks/${id}`).set(auth(h.keyA))).body.status).toBe('PENDING');
    // As an API key, a token is refused everywhere, its own task included.
    for (const path of [`/api/v1/tasks/${id}`, '/api/v1/tasks']) {
      const res = await request(h.app).get(path).set(auth(token));
      expect([path, res.status, res.body.error]).toEqual([path, 401, 'task_token_not_accepted']);
    }
  });

  it('never takes an API key in ?token=, nor a key and a token at once', async () => {
    const id = (await submit(h, h.keyA)).body.task_id as string;
    const inUrl = await request(h.app).get(`/api/v1/tasks/${id}?token=${h.keyA}`);
    expect(inUrl.status).toBe(401);
    expect(inUrl.body).toMatchObject({ error: 'api_key_in_url', message: expect.stringMatching(/never accepted in the URL.*Authorization: Bearer/) });
    const notAToken = await request(h.app).get(`/api/v1/tasks/${id}?token=hello`);
    expect(notAToken.status).toBe(401);
    expect(notAToken.body.error).toBe('invalid_task_token');
    const { token } = await newToken(h, id);
    const both = await request(h.app).get(`/api/v1/tasks/${id}?token=${token}`).set(auth(h.keyA));
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('ambiguous_credentials');
    const twice = await request(h.app).get(`/api/v1/tasks/${id}?token=${token}&token=${token}`);
    expect(twice.status).toBe(400);
    expect(twice.body.issues).toEqual([{ path: 'query.token', message: 'give one task token, once' }]);
    // Another parameter beside the token is refused as on every route.
    const extra = await request(h.app).get(`/api/v1/tasks/${id}?token=${token}&bogus=1`);
    expect(extra.status).toBe(400);
    expect(extra.body.issues[0]).toEqual({ path: 'query.bogus', message: 'unknown parameter; this route takes token' });
  });

  it.each([
    ['ttl_seconds below 30', { ttl_seconds: 29 }, 'ttl_seconds'],
    ['ttl_seconds above a day', { ttl_seconds: 86_401 }, 'ttl_seconds'],
    ['a fractional ttl_seconds', { ttl_seconds: 1.5 }, 'ttl_seconds'],
    ['ttl_seconds as a string', { ttl_seconds: '900' }, 'ttl_seconds'],
    ['an unknown field', { ttl_seconds: 60, scope: 'all' }, '(body)'],
    ['an array', [60], '(body)'],
  ])('answers 400 for a body with %s', async (_label, body, path) => {
    const id = (await submit(h, h.keyA)).body.task_id as string;
    const res = await request(h.app).post(`/api/v1/tasks/${id}/tokens`).set(auth(h.keyA)).send(body);
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it('answers 400 for a body that is not JSON, and takes {} or no body', async () => {
    const id = (await submit(h, h.keyA)).body.task_id as string;
    const tokens = () => request(h.app).post(`/api/v1/tasks/${id}/tokens`).set(auth(h.keyA));
    const malformed = await tokens().set('Content-Type', 'application/json').send('{"ttl_seconds": ');
    expect([malformed.status, malformed.body.error]).toEqual([400, 'invalid_json']);
    const text = await tokens().set('Content-Type', 'text/plain').send('ttl=60');
    expect([text.status, text.body.error]).toEqual([400, 'invalid_body']);
    expect(text.body.message).toMatch(/application\/json/);
    expect((await tokens().send({})).status).toBe(201);
    expect((await tokens()).status).toBe(201);
  });

  it('answers 404 for an unknown or foreign task and 400 for a malformed id', async () => {
    const foreign = (await submit(h, h.keyB)).body.task_id as string;
    for (const id of [randomUUID(), foreign]) {
      const res = await request(h.app).post(`/api/v1/tasks/${id}/tokens`).set(auth(h.keyA));
      expect([res.status, res.body.error]).toEqual([404, 'task_not_found']);
    }
    expect((await request(h.app).post('/api/v1/tasks/not-a-uuid/tokens').set(auth(h.keyA))).status).toBe(400);
    expect((await request(h.app).post(`/api/v1/tasks/${foreign}/tokens`)).status).toBe(401);
  });

  it('deletes expired token rows in the retention clean-up, and keeps live ones', async () => {
    const id = (await submit(h, h.keyA)).body.task_id as string;
    const old = await newToken(h, id);
    const live = await newToken(h, id);
    await expire(h, old.token);
    expect(await deleteExpiredTaskTokens(h.db, 1000)).toBeGreaterThanOrEqual(1);
    const left = await h.db.selectFrom('task_tokens').select('token_hash').where('task_id', '=', id).execute();
    expect(left).toEqual([{ token_hash: hashApiKey(live.token) }]);
  });

  // Last: every test above logged its requests, tokens in their URLs among them.
  it('never writes a token into the log', async () => {
    const id = await finishedTask(h);
    const { token } = await newToken(h, id);
    expect((await request(h.app).get(`/api/v1/tasks/${id}/events?token=${token}`)).status).toBe(200);
    await expire(h, token);
    expect((await request(h.app).get(`/api/v1/tasks/${id}?token=${token}`)).status).toBe(401);
    // The request lines are there (so the log was read), without the token or any other.
    expect(logText).toContain('"route":"/api/v1/tasks/:id/events"');
    expect(logText).not.toMatch(/cvt_/);
    expect(logText).not.toContain(token);
  });
});

describe('task tokens and the limits of their tenant', () => {
  it("count against the tenant's rate limit", async () => {
    await withHarness({ rateLimits: { trial: 4 } }, async (h) => {
      const id = (await submit(h, h.keyA)).body.task_id as string;
      const { token } = await newToken(h, id);
      const read = await request(h.app).get(`/api/v1/tasks/${id}?token=${token}`);
      expect([read.status, read.headers['ratelimit-remaining']]).toEqual([200, '1']);
      expect((await request(h.app).get(`/api/v1/tasks/${id}`).set(auth(h.keyA))).status).toBe(200);
      // The tenant's minute is spent, by the key and the token together.
      const refused = await request(h.app).get(`/api/v1/tasks/${id}?token=${token}`);
      expect([refused.status, refused.body.error]).toEqual([429, 'rate_limited']);
      expect(refused.headers['access-control-allow-origin']).toBe('*');
      expect((await request(h.app).get(`/api/v1/tasks/${id}`).set(auth(h.keyA))).status).toBe(429);
    });
  });

  it('count unknown tokens as failed authentications of the address', async () => {
    await withHarness({ authFailuresPerMinute: 2 }, async (h) => {
      const id = (await submit(h, h.keyA)).body.task_id as string;
      for (let i = 0; i < 2; i += 1) expect((await request(h.app).get(`/api/v1/tasks/${id}?token=cvt_guess${i}`)).status).toBe(401);
      const refused = await request(h.app).get(`/api/v1/tasks/${id}?token=cvt_guess_next`);
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({
        error: 'too_many_failed_authentications',
        message: expect.stringMatching(/unknown or expired task tokens.*check the token/),
      });
      // The same address's unknown keys are counted in the same place.
      expect((await request(h.app).get('/api/v1/usage').set(auth('cvk_guess'))).status).toBe(429);
    });
  });
});
