import { PassThrough } from 'node:stream';
import { createTenantKey, deleteExpiredConsoleSessions, findConsoleSession, hashApiKey, revokeApiKey } from '@conveyor/db';
import { waitFor } from '@conveyor/testkit';
import { sql } from 'kysely';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

// The console's sign-in: POST /auth/session trades an API key for a session cookie, which then
// authenticates every /api/v1 route (unsafe methods with X-Conveyor-CSRF: 1) until it ends.

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const CSRF = { 'X-Conveyor-CSRF': '1' };

interface SignedIn {
  /** The Cookie header to send back. */
  cookie: string;
  /** The session id (the cookie's value). */
  id: string;
  setCookie: string;
  body: { principal: Record<string, unknown>; expires_at: string };
}

async function signIn(h: Harness, key: string): Promise<SignedIn> {
  const res = await request(h.app).post('/api/v1/auth/session').send({ api_key: key });
  expect(res.status).toBe(201);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!;
  const id = /^conveyor_session=([^;]+);/.exec(setCookie)![1]!;
  return { cookie: `conveyor_session=${id}`, id, setCookie, body: res.body };
}

const setCookiesOf = (res: request.Response): string[] => ([] as string[]).concat(res.headers['set-cookie'] ?? []);

describe('console sessions', () => {
  let h: Harness;
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  beforeAll(async () => (h = await startHarness({ logStream: logs })));
  afterAll(() => h.close());

  it('signs in with a tenant key: 201 with the principal, an HttpOnly SameSite=Strict cookie, only a hash stored', async () => {
    const { body, setCookie, id } = await signIn(h, h.keyA);
    expect(body).toEqual({
      principal: { kind: 'tenant', tenant_id: h.tenantA, tenant_name: 'tenant-a', plan: 'trial' },
      expires_at: expect.any(String),
    });
    expect(id).toMatch(/^cvs_[A-Za-z0-9_-]{43}$/);
    expect(setCookie.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=1800', 'Path=/', 'SameSite=Strict']);
    const stored = await h.db.selectFrom('console_sessions').selectAll().where('session_hash', '=', hashApiKey(id)).execute();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(await h.db.selectFrom('console_sessions').selectAll().execute())).not.toContain(id);
  });

  it('takes the key as a Bearer header too, refuses it twice (400), and marks the cookie Secure over HTTPS (auto)', async () => {
    const res = await request(h.app).post('/api/v1/auth/session').set(bearer(h.keyB)).set('X-Forwarded-Proto', 'https');
    expect(res.status).toBe(201);
    expect(res.body.principal).toMatchObject({ kind: 'tenant', tenant_name: 'tenant-b', plan: 'growth' });
    expect(setCookiesOf(res)[0]).toMatch(/; Secure$/);
    const twice = await request(h.app).post('/api/v1/auth/session').set(bearer(h.keyB)).send({ api_key: h.keyB });
    expect([twice.status, twice.body.error]).toEqual([400, 'ambiguous_credentials']);
  });

  it('signs in with an admin key as an admin without a tenant', async () => {
    const { body } = await signIn(h, h.adminKey);
    expect(body.principal).toEqual({ kind: 'admin', tenant_id: null, tenant_name: null, plan: null });
  });

  it('refuses a missing, unknown or malformed key with 401 and a bad body with 400, setting no cookie', async () => {
    for (const send of [{}, { api_key: 'cvk_nope' }]) {
      const res = await request(h.app).post('/api/v1/auth/session').send(send);
      expect([res.status, res.body.error]).toEqual([401, 'unauthorized']);
      expect(setCookiesOf(res)).toEqual([]);
    }
    const token = await request(h.app).post('/api/v1/auth/session').send({ api_key: 'cvt_abcdefghijklmnop' });
    expect([token.status, token.body.error]).toEqual([401, 'task_token_not_accepted']);
    for (const send of [{ api_key: 5 }, { api_key: h.keyA, extra: 1 }, { api_key: 'x'.repeat(201) }]) {
      const res = await request(h.app).post('/api/v1/auth/session').send(send);
      expect([res.status, res.body.error]).toEqual([400, 'validation_failed']);
    }
    const big = await request(h.app)
      .post('/api/v1/auth/session')
      .send({ api_key: h.keyA, pad: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
    const query = await request(h.app).post('/api/v1/auth/session?next=/x').send({ api_key: h.keyA });
    expect([query.status, query.body.error]).toEqual([400, 'validation_failed']);
  });

  it('GET /auth/session answers the session; without the cookie 401', async () => {
    const session = await signIn(h, h.keyA);
    const res = await request(h.app).get('/api/v1/auth/session').set('Cookie', session.cookie);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual(session.body);
    const keyOnly = await request(h.app).get('/api/v1/auth/session').set(bearer(h.keyA));
    expect([keyOnly.status, keyOnly.body.error]).toEqual([401, 'no_session']);
    const none = await request(h.app).get('/api/v1/auth/session');
    expect([none.status, none.body.error]).toEqual([401, 'unauthorized']);
    expect(none.body.message).toContain('POST /api/v1/auth/session');
  });

  it('the cookie authenticates reads; an unsafe method needs X-Conveyor-CSRF: 1 (403 without it)', async () => {
    const { cookie } = await signIn(h, h.keyA);
    const submit = () =>
      request(h.app)
        .post('/api/v1/tasks')
        .set('Cookie', cookie)
        .send({ task: 'test_task', payload: { message: 'from the console' } });
    const refused = await submit();
    expect([refused.status, refused.body.error]).toEqual([403, 'csrf_header_required']);
    expect(refused.body.message).toContain('X-Conveyor-CSRF: 1');
    for (const value of ['0', 'true', '']) expect((await submit().set('X-Conveyor-CSRF', value)).status).toBe(403);
    const accepted = await submit().set(CSRF);
    expect(accepted.status).toBe(202);
    const id = accepted.body.task_id as string;
    expect((await h.db.selectFrom('tasks').select('tenant_id').where('id', '=', id).executeTakeFirstOrThrow()).tenant_id).toBe(h.tenantA);
    const read = await request(h.app).get(`/api/v1/tasks/${id}`).set('Cookie', cookie);
    expect([read.status, read.body.task_id]).toEqual([200, id]);
    const list = await request(h.app).get('/api/v1/tasks').set('Cookie', `other=1; ${cookie}`);
    expect(list.status).toBe(200);
    expect(list.body.tasks.map((t: { task_id: string }) => t.task_id)).toContain(id);
    // An API key needs no such header.
    expect(
      (
        await request(h.app)
          .post('/api/v1/tasks')
          .set(bearer(h.keyA))
          .send({ task: 'test_task', payload: { message: 'k' } })
      ).status,
    ).toBe(202);
  });

  it('refuses the cookie and an Authorization header together (400), whoever they name', async () => {
    const { cookie } = await signIn(h, h.keyA);
    for (const key of [h.keyA, h.keyB]) {
      const res = await request(h.app).get('/api/v1/tasks').set('Cookie', cookie).set(bearer(key));
      expect([res.status, res.body.error]).toEqual([400, 'ambiguous_credentials']);
    }
  });

  it("a tenant's session never reads another tenant's task (404) nor lists it", async () => {
    const other = await request(h.app)
      .post('/api/v1/tasks')
      .set(bearer(h.keyB))
      .send({ task: 'test_task', payload: { message: 'b' } });
    const { cookie } = await signIn(h, h.keyA);
    const read = await request(h.app).get(`/api/v1/tasks/${other.body.task_id}`).set('Cookie', cookie);
    expect(read.status).toBe(404);
    const cancel = await request(h.app).post(`/api/v1/tasks/${other.body.task_id}/cancel`).set('Cookie', cookie).set(CSRF);
    expect(cancel.status).toBe(404);
    const list = await request(h.app).get('/api/v1/tasks?limit=200').set('Cookie', cookie);
    expect(list.body.tasks.map((t: { task_id: string }) => t.task_id)).not.toContain(other.body.task_id);
  });

  it('signs out: 204, the cookie cleared, the session deleted and refused from then on (401 that clears the cookie)', async () => {
    const { cookie, id } = await signIn(h, h.keyA);
    const noHeader = await request(h.app).delete('/api/v1/auth/session').set('Cookie', cookie);
    expect([noHeader.status, noHeader.body.error]).toEqual([403, 'csrf_header_required']);
    const out = await request(h.app).delete('/api/v1/auth/session').set('Cookie', cookie).set(CSRF);
    expect(out.status).toBe(204);
    expect(setCookiesOf(out)).toEqual([expect.stringMatching(/^conveyor_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/)]);
    expect(await findConsoleSession(h.db, id)).toBeUndefined();
    const after = await request(h.app).get('/api/v1/tasks').set('Cookie', cookie);
    expect([after.status, after.body.error]).toEqual([401, 'session_expired']);
    expect(setCookiesOf(after)[0]).toMatch(/^conveyor_session=; .*Max-Age=0/);
    // Signing out again, or with no cookie at all, is the same 204.
    expect((await request(h.app).delete('/api/v1/auth/session').set('Cookie', cookie).set(CSRF)).status).toBe(204);
    expect((await request(h.app).delete('/api/v1/auth/session')).status).toBe(204);
  });

  it('logs sign-in and sign-out with the request id and key id, never the key or the session id', async () => {
    const { cookie, id } = await signIn(h, h.keyB);
    await request(h.app).get('/api/v1/tasks?status=bogus').set('Cookie', cookie);
    await request(h.app).delete('/api/v1/auth/session').set('Cookie', cookie).set(CSRF);
    await waitFor(async () => (logText.includes('console sign-out') ? true : undefined), 'the sign-out log line');
    const lines = logText
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const signedIn = lines.find((line) => line.message === 'console sign-in' && line.admin === false && line.tenant_id !== h.tenantA);
    expect(signedIn).toMatchObject({ key_id: expect.any(String), request_id: expect.any(String), admin: false });
    expect(logText).not.toContain(id);
    expect(logText).not.toContain(h.keyB);
  });

  it('refuses a made-up or malformed cookie with 401', async () => {
    for (const value of [`cvs_${'A'.repeat(43)}`, 'garbage', '', '%00']) {
      const res = await request(h.app).get('/api/v1/tasks').set('Cookie', `conveyor_session=${value}`);
      expect([value, res.status, res.body.error]).toEqual([value, 401, 'session_expired']);
    }
  });

  it('revoking the key ends its sessions at once and deletes them; a revoked key cannot sign in', async () => {
    const extra = (await createTenantKey(h.db, h.tenantA))!;
    const { cookie, id } = await signIn(h, extra.apiKey);
    expect((await request(h.app).get('/api/v1/tasks').set('Cookie', cookie)).status).toBe(200);
    expect(await revokeApiKey(h.db, extra.keyId)).toBe(true);
    const after = await request(h.app).get('/api/v1/tasks').set('Cookie', cookie);
    expect([after.status, after.body.error]).toEqual([401, 'session_expired']);
    expect(await h.db.selectFrom('console_sessions').select('session_hash').where('session_hash', '=', hashApiKey(id)).execute()).toEqual([]);
    const again = await request(h.app).post('/api/v1/auth/session').send({ api_key: extra.apiKey });
    expect([again.status, again.body.error]).toEqual([401, 'unauthorized']);
  });

  it('slides: a use in the second half of its time moves the end a whole ttl ahead and sends the cookie again, never past the absolute end', async () => {
    const { cookie, id } = await signIn(h, h.keyA);
    const hash = hashApiKey(id);
    // In its first half nothing is written and no cookie is sent.
    const early = await request(h.app).get('/api/v1/auth/session').set('Cookie', cookie);
    expect(setCookiesOf(early)).toEqual([]);
    await sql`update console_sessions set expires_at = now() + interval '100 seconds' where session_hash = ${hash}`.execute(h.db);
    const renewed = await request(h.app).get('/api/v1/auth/session').set('Cookie', cookie);
    expect(renewed.status).toBe(200);
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookiesOf(renewed)[0]!)![1]);
    expect(maxAge).toBeGreaterThan(1000);
    const { rows } = await sql<{
      left: number;
    }>`select extract(epoch from expires_at - now())::int as left from console_sessions where session_hash = ${hash}`.execute(h.db);
    expect(rows[0]!.left).toBeGreaterThan(1000);
    expect(Date.parse(renewed.body.expires_at)).toBeGreaterThan(Date.parse(early.body.expires_at) - 1000);
    // Near its absolute end it grows no further than that.
    await sql`update console_sessions set expires_at = now() + interval '100 seconds', absolute_expires_at = now() + interval '300 seconds' where session_hash = ${hash}`.execute(
      h.db,
    );
    const capped = await request(h.app).get('/api/v1/auth/session').set('Cookie', cookie);
    const { rows: after } = await sql<{
      same: boolean;
    }>`select expires_at = absolute_expires_at as same from console_sessions where session_hash = ${hash}`.execute(h.db);
    expect(after[0]!.same).toBe(true);
    expect(Number(/Max-Age=(\d+)/.exec(setCookiesOf(capped)[0]!)![1])).toBeLessThanOrEqual(300);
  });
});

describe('console sessions with a short lifetime and tight limits', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ env: { CONSOLE_SESSION_TTL_SECONDS: '1' }, authFailuresPerMinute: 3, rateLimits: { trial: 4 } })));
  afterAll(() => h.close());

  it('ends a session left unused for its ttl: 401, and the retention clean-up deletes it', async () => {
    const { cookie, id, setCookie } = await signIn(h, h.keyB);
    expect(setCookie).toContain('Max-Age=1;');
    await waitFor(async () => ((await findConsoleSession(h.db, id)) === undefined ? true : undefined), 'the session to expire');
    const res = await request(h.app).get('/api/v1/tasks').set('Cookie', cookie);
    expect([res.status, res.body.error]).toEqual([401, 'session_expired']);
    expect(await deleteExpiredConsoleSessions(h.db, 1000)).toBeGreaterThanOrEqual(1);
    expect(await h.db.selectFrom('console_sessions').select('session_hash').where('session_hash', '=', hashApiKey(id)).execute()).toEqual([]);
  });

  it("counts a session's requests against its tenant's rate limit, as the key's", async () => {
    const { cookie } = await signIn(h, h.keyA); // 1 of the trial plan's 4
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await request(h.app).get('/api/v1/task-types').set('Cookie', cookie)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await request(h.app).get('/api/v1/task-types').set(bearer(h.keyA))).status).toBe(429);
  });

  it('counts bad keys at sign-in and unknown sessions as failed authentications of the address (429 past the limit)', async () => {
    const from = { 'X-Forwarded-For': '203.0.113.7' };
    const statuses: number[] = [];
    for (let i = 0; i < 2; i += 1)
      statuses.push(
        (
          await request(h.app)
            .post('/api/v1/auth/session')
            .set(from)
            .send({ api_key: `cvk_bad${i}` })
        ).status,
      );
    statuses.push(
      (
        await request(h.app)
          .get('/api/v1/tasks')
          .set(from)
          .set('Cookie', `conveyor_session=cvs_${'B'.repeat(43)}`)
      ).status,
    );
    const refused = await request(h.app).post('/api/v1/auth/session').set(from).send({ api_key: h.keyB });
    expect([...statuses, refused.status]).toEqual([401, 401, 401, 429]);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    // Another address is not affected.
    expect((await request(h.app).post('/api/v1/auth/session').set('X-Forwarded-For', '203.0.113.8').send({ api_key: h.keyB })).status).toBe(201);
  });
});
