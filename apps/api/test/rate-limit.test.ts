import { once } from 'node:events';
import { createTenantWithKey } from '@conveyor/db';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const tenantNamed = async (h: Harness, name: string) => (await h.db.selectFrom('tenants').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
const taskCount = async (h: Harness) =>
  (
    await h.db
      .selectFrom('tasks')
      .select(({ fn }) => fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
  ).n;

describe('rate limits per tenant and plan', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ rateLimits: { trial: 3 } })));
  afterAll(() => h.close());

  it('answers 429 with Retry-After past the plan limit, and the refused request changes nothing', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await request(h.app).post('/api/v1/tasks').set(auth(h.keyA)).send({ task: 'ping' });
      expect(res.status).toBe(202);
      remaining.push(String(res.headers['ratelimit-remaining']));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const before = await taskCount(h);
    const refused = await request(h.app).post('/api/v1/tasks').set(auth(h.keyA)).send({ task: 'ping' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      error: 'rate_limited',
      message: expect.stringMatching(/the trial plan allows 3 API requests per minute; retry in \d+ s/),
    });
    expect([refused.headers['ratelimit-limit'], refused.headers['ratelimit-remaining']]).toEqual(['3', '0']);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await taskCount(h)).toBe(before);
    // Reads count too: the limit is on requests, whatever they do.
    expect((await request(h.app).get('/api/v1/tasks').set(auth(h.keyA))).status).toBe(429);
  });

  it('counts in Redis, so every API replica shares one count per tenant', async () => {
    const tenantA = await tenantNamed(h, 'tenant-a');
    expect(Number(await h.redis.get(`${h.prefix}:ratelimit:trial:${tenantA}`))).toBeGreaterThanOrEqual(4);
  });

  it('limits each tenant on its own, and not admin keys', async () => {
    for (let i = 0; i < 5; i += 1) {
      expect((await request(h.app).get('/api/v1/tasks').set(auth(h.keyB))).status).toBe(200);
      expect((await request(h.app).get('/api/v1/admin/dead-letters').set(auth(h.adminKey))).status).toBe(200);
    }
  });

  it('admits exactly the limit of many concurrent requests (their counters share pipelines)', async () => {
    const fresh = await startHarness({ rateLimits: { trial: 7 } });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 30 }, () =>
          request(fresh.app)
            .get('/api/v1/tasks')
            .set(auth(fresh.keyA))
            .then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(7);
      expect(statuses.filter((s) => s === 429)).toHaveLength(23);
    } finally {
      await fresh.close();
    }
  });

  it('does not count a request without a valid key', async () => {
    expect((await request(h.app).get('/api/v1/tasks').set(auth('nope'))).status).toBe(401);
  });
});

describe('rate limits with Redis down', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ redisUrl: 'redis://127.0.0.1:1', rateLimits: { trial: 2 } })));
  afterAll(() => h.close());

  it('counts in the process instead: reads keep working up to the limit, then 429', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await request(h.app).get('/api/v1/tasks').set(auth(h.keyA))).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});

// The counters' own connection can be unready while requests arrive: at the API's start (it
// answers /healthz before that connection is up) or in an outage. The requests counted in the
// process meanwhile and those Redis counts must add up, whichever came first.
describe('rate limits while the counters connection is not ready', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ rateLimits: { trial: 3 } })));
  afterAll(() => h.close());

  const trialKey = async (name: string) => (await createTenantWithKey(h.db, { name, plan: 'trial' })).apiKey;
  const read = async (key: string) => (await request(h.app).get('/api/v1/tasks').set(auth(key))).status;
  const unready = async () => {
    const ended = once(h.counters, 'end');
    h.counters.disconnect();
    await ended;
  };
  const ready = async () => {
    await h.counters.connect();
    expect(h.counters.status).toBe('ready');
  };

  it('adds the requests counted before the connection was ready to those Redis counts after', async () => {
    const key = await trialKey('before-ready');
    await unready();
    try {
      const statuses = [await read(key), await read(key), await read(key)];
      await ready();
      statuses.push(await read(key));
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      if (h.counters.status !== 'ready') await ready();
    }
  });

  it('goes on from the count Redis last gave when the connection drops', async () => {
    const key = await trialKey('outage');
    const statuses = [await read(key), await read(key)];
    await unready();
    try {
      statuses.push(await read(key), await read(key));
    } finally {
      await ready();
    }
    statuses.push(await read(key));
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});

// The README says which answers carry RateLimit-Limit and RateLimit-Remaining: every answer to
// an /api/v1 request that was counted (a tenant's against its plan, an admin key's against its
// own limit, also when it acts for a tenant), errors included; none given before a request is
// counted (no or an unknown credential), and none outside /api/v1 (the admin pages included).
describe('the RateLimit headers, on the answers the README says carry them', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness({ rateLimits: { trial: 50, admin: 70 } })));
  afterAll(() => h.close());

  const limitHeaders = (res: request.Response) => ({ limit: res.headers['ratelimit-limit'], remaining: res.headers['ratelimit-remaining'] });
  const counted = (limit: number) => ({ limit: String(limit), remaining: expect.stringMatching(/^\d+$/) });
  const none = { limit: undefined, remaining: undefined };

  it("a tenant's answers, errors included, carry its plan's limit", async () => {
    const ok = await request(h.app).get('/api/v1/tasks').set(auth(h.keyA));
    const missing = await request(h.app).get('/api/v1/tasks/00000000-0000-4000-8000-000000000000').set(auth(h.keyA));
    const invalid = await request(h.app).post('/api/v1/tasks').set(auth(h.keyA)).send({ task: 'no_such_task' });
    expect([ok.status, missing.status, invalid.status]).toEqual([200, 404, 400]);
    for (const res of [ok, missing, invalid]) expect(limitHeaders(res)).toEqual(counted(50));
  });

  it("an admin key's /api/v1 answers carry the admin limit, also when it acts for a tenant", async () => {
    const own = await request(h.app).get('/api/v1/admin/dead-letters').set(auth(h.adminKey));
    const acting = await request(h.app).get('/api/v1/tasks').set(auth(h.adminKey)).set('X-Conveyor-Tenant', h.tenantA);
    expect([own.status, acting.status]).toEqual([200, 200]);
    for (const res of [own, acting]) expect(limitHeaders(res)).toEqual(counted(70));
  });

  it('answers refused before counting carry neither: no key, an unknown key', async () => {
    const noKey = await request(h.app).get('/api/v1/tasks');
    const unknown = await request(h.app).get('/api/v1/tasks').set(auth('cvk_nobody'));
    expect([noKey.status, unknown.status]).toEqual([401, 401]);
    for (const res of [noKey, unknown]) expect(limitHeaders(res)).toEqual(none);
  });

  it('answers outside /api/v1 carry neither, the admin pages included', async () => {
    const basic = { Authorization: `Basic ${Buffer.from(`admin:${h.adminKey}`).toString('base64')}` };
    const health = await request(h.app).get('/healthz');
    const queues = await request(h.app).get('/admin/queues').set(basic);
    const deadLetters = await request(h.app).get('/admin/dead-letters').set(basic);
    expect([health.status, queues.status, deadLetters.status]).toEqual([200, 200, 200]);
    for (const res of [health, queues, deadLetters]) expect(limitHeaders(res)).toEqual(none);
  });
});
