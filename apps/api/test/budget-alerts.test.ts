import { PassThrough } from 'node:stream';
import { CostTracker } from '@conveyor/cost-tracker';
import { createTenantWithKey } from '@conveyor/db';
import request from 'supertest';
import { type Harness, quietLogger, startHarness } from './helpers';

// The operator allows one loopback webhook host (as tests and local runs do); nothing else private.
const ALLOWED = '127.0.0.1:4999';
let h: Harness;
let log = '';
beforeAll(async () => {
  const logStream = new PassThrough();
  logStream.on('data', (c: Buffer) => (log += c.toString()));
  h = await startHarness({ budgetAlertAllowHosts: ALLOWED, logStream });
});
afterAll(() => h.close());

const as = (key: string) => ({ Authorization: `Bearer ${key}` });

it('sets, reads, replaces and removes the webhook; the secret is shown once per PUT and never again', async () => {
  const { apiKey } = await createTenantWithKey(h.db, { name: 'alerts', plan: 'trial' });
  expect((await request(h.app).get('/api/v1/budget-alerts').set(as(apiKey))).status).toBe(404);

  const put = await request(h.app)
    .put('/api/v1/budget-alerts')
    .set(as(apiKey))
    .send({ url: `http://${ALLOWED}/hooks/budget` });
  expect(put.status).toBe(200);
  expect(put.body).toEqual({
    url: `http://${ALLOWED}/hooks/budget`,
    thresholds: [50, 80, 100],
    secret: expect.stringMatching(/^cvw_[0-9a-f]{64}$/),
    created_at: expect.any(String),
  });
  const got = await request(h.app).get('/api/v1/budget-alerts').set(as(apiKey));
  expect(got.body).toEqual({ url: put.body.url, thresholds: [50, 80, 100], created_at: put.body.created_at });

  const replaced = await request(h.app)
    .put('/api/v1/budget-alerts')
    .set(as(apiKey))
    .send({ url: `http://${ALLOWED}/other`, thresholds: [90, 25] });
  expect(replaced.body).toMatchObject({ url: `http://${ALLOWED}/other`, thresholds: [25, 90] });
  expect(replaced.body.secret).not.toBe(put.body.secret);
  // Tenant B has none, and cannot remove A's.
  expect((await request(h.app).get('/api/v1/budget-alerts').set(as(h.keyB))).status).toBe(404);
  expect((await request(h.app).delete('/api/v1/budget-alerts').set(as(h.keyB))).status).toBe(404);

  expect((await request(h.app).delete('/api/v1/budget-alerts').set(as(apiKey))).status).toBe(204);
  expect((await request(h.app).get('/api/v1/budget-alerts').set(as(apiKey))).status).toBe(404);
  const again = await request(h.app).delete('/api/v1/budget-alerts').set(as(apiKey));
  expect(again.status).toBe(404);
  expect(again.body.message).toMatch(/No budget alert webhook is set; set one with PUT \/api\/v1\/budget-alerts/);
  expect(log).not.toContain(put.body.secret);
  expect(log).not.toContain(replaced.body.secret);
});

it('refuses private, metadata and malformed URLs and bad thresholds with a message that says why', async () => {
  const cases: [unknown, RegExp][] = [
    [{ url: 'http://127.0.0.1:5000/hook' }, /url refused: .*resolves to .*loopback.*public address/],
    [{ url: 'http://localhost:4999/hook' }, /url refused: .*resolves to/],
    [{ url: 'https://10.0.0.8/hook' }, /url refused: .*private/],
    [{ url: 'http://[::1]/hook' }, /url refused/],
    [{ url: 'http://169.254.169.254/latest/meta-data' }, /url refused: .*metadata/],
    [{ url: 'https://user:pw@127.0.0.1:4999/' }, /credentials/],
    [{ url: 'ftp://files.example.com/x' }, /url must be an http or https URL/],
    [{ url: 'not a url' }, /url must be an http or https URL/],
    [{}, /url/],
    [{ url: `http://${ALLOWED}/h`, thresholds: [] }, /thresholds needs at least one percentage/],
    [{ url: `http://${ALLOWED}/h`, thresholds: [50, 50] }, /must not repeat/],
    [{ url: `http://${ALLOWED}/h`, thresholds: [0] }, /thresholds\.0/],
    [{ url: `http://${ALLOWED}/h`, thresholds: [150] }, /thresholds\.0/],
    [{ url: `http://${ALLOWED}/h`, thresholds: [12.5] }, /whole percentage/],
    [{ url: `http://${ALLOWED}/h`, thresholds: 'all' }, /thresholds must be an array/],
    [{ url: `http://${ALLOWED}/h`, secret: 'mine' }, /secret/],
  ];
  for (const [body, message] of cases) {
    const res = await request(h.app)
      .put('/api/v1/budget-alerts')
      .set(as(h.keyA))
      .send(body as object);
    expect([JSON.stringify(body), res.status, res.body.message]).toEqual([JSON.stringify(body), 400, expect.stringMatching(message)]);
  }
  expect((await request(h.app).get('/api/v1/budget-alerts').set(as(h.keyA))).status).toBe(404);
  expect(
    (
      await request(h.app)
        .put('/api/v1/budget-alerts')
        .set(as(h.adminKey))
        .send({ url: `http://${ALLOWED}/h` })
    ).status,
  ).toBe(403);
});

it('lists the deliveries the tenant’s spend recorded, and only its own', async () => {
  const { tenant, apiKey } = await createTenantWithKey(h.db, { name: 'deliveries', plan: 'trial' });
  await request(h.app)
    .put('/api/v1/budget-alerts')
    .set(as(apiKey))
    .send({ url: `http://${ALLOWED}/hooks`, thresholds: [50, 80] })
    .expect(200);
  expect((await request(h.app).get('/api/v1/budget-alerts/deliveries').set(as(apiKey))).body).toEqual({ deliveries: [] });
  const tracker = new CostTracker(h.db, quietLogger());
  const r = (await tracker.reserve(tenant.id, 3, { ttlMs: 60_000 }))!;
  await tracker.settle(r, { actionType: 'score_post', modelUsed: 'm', promptTokens: 1, completionTokens: 1, costUsd: 3 });
  const usage = (await request(h.app).get('/api/v1/usage').set(as(apiKey))).body;
  const res = await request(h.app).get('/api/v1/budget-alerts/deliveries').set(as(apiKey));
  expect(res.body).toEqual({
    deliveries: [{ period_start: usage.period_start, threshold: 50, status: 'pending', attempts: 0, last_error: null, delivered_at: null }],
  });
  expect((await request(h.app).get('/api/v1/budget-alerts/deliveries').set(as(h.keyB))).body).toEqual({ deliveries: [] });
  const bogus = await request(h.app).get('/api/v1/budget-alerts/deliveries?limit=5').set(as(apiKey));
  expect([bogus.status, bogus.body.issues[0].path]).toEqual([400, 'query.limit']);
});
