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
