import { CostTracker } from '@conveyor/cost-tracker';
import { createTenantWithKey } from '@conveyor/db';
import { sql } from 'kysely';
import request from 'supertest';
import { type Harness, quietLogger, startHarness } from './helpers';

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

it("GET /usage shows the caller's spend this period: total, by action, reserved, remaining, cap", async () => {
  const empty = await request(h.app)
    .get('/api/v1/usage')
    .set({ Authorization: `Bearer ${h.keyA}` });
  expect(empty.status).toBe(200);
  expect(empty.body).toMatchObject({ plan: 'trial', cap_usd: 5, spent_usd: 0, reserved_usd: 0, remaining_usd: 5, by_action: [] });

  const tenantA = h.tenantA;
  const tracker = new CostTracker(h.db, quietLogger());
  const spent = (await tracker.reserve(tenantA, 0.5, { ttlMs: 60_000 }))!;
  await tracker.settle(spent, {
    actionType: 'generate_draft',
    modelUsed: 'anthropic/claude-sonnet-4',
    promptTokens: 100,
    completionTokens: 400,
    costUsd: 0.12,
  });
  await tracker.reserve(tenantA, 0.3, { ttlMs: 60_000 });

  const res = await request(h.app)
    .get('/api/v1/usage')
    .set({ Authorization: `Bearer ${h.keyA}` });
  expect(res.body).toMatchObject({ spent_usd: 0.12, reserved_usd: 0.3, by_action: [{ action_type: 'generate_draft', calls: 1, cost_usd: 0.12 }] });
  expect(res.body.remaining_usd).toBeCloseTo(4.58, 8);
  // Tenant B sees only its own (empty) period.
  const other = await request(h.app)
    .get('/api/v1/usage')
    .set({ Authorization: `Bearer ${h.keyB}` });
  expect(other.body).toMatchObject({ plan: 'growth', cap_usd: 40, spent_usd: 0, by_action: [] });
});

describe('GET /usage grouped and by period', () => {
  const get = (path: string, key = h.keyA) =>
    request(h.app)
      .get(path)
      .set({ Authorization: `Bearer ${key}` });

  it('groups the period by task, model, campaign and day with token counts; another tenant sees none of it', async () => {
    const tracker = new CostTracker(h.db, quietLogger());
    const calls = [
      { actionType: 'score_post', modelUsed: 'm/cheap', campaignId: 'launch', promptTokens: 40, completionTokens: 2, costUsd: 0.01 },
      { actionType: 'score_post', modelUsed: 'm/cheap', campaignId: null, promptTokens: 60, completionTokens: 3, costUsd: 0.02 },
      { actionType: 'generate_draft', modelUsed: 'm/big', campaignId: 'launch', promptTokens: 500, completionTokens: 900, costUsd: 0.4 },
    ];
    const { tenant, apiKey } = await createTenantWithKey(h.db, { name: 'grouped', plan: 'starter' });
    for (const usage of calls) {
      const r = (await tracker.reserve(tenant.id, 0.5, { ttlMs: 60_000 }))!;
      await tracker.settle(r, usage);
    }
    const byTask = await get('/api/v1/usage?group_by=task', apiKey);
    expect(byTask.status).toBe(200);
    expect(byTask.body.groups).toEqual([
      { key: 'generate_draft', calls: 1, prompt_tokens: 500, completion_tokens: 900, cost_usd: 0.4 },
      { key: 'score_post', calls: 2, prompt_tokens: 100, completion_tokens: 5, cost_usd: 0.03 },
    ]);
    expect((await get('/api/v1/usage?group_by=model&period=current', apiKey)).body.groups.map((g: { key: string }) => g.key)).toEqual(['m/big', 'm/cheap']);
    expect((await get('/api/v1/usage?group_by=campaign', apiKey)).body.groups).toEqual([
      { key: 'launch', calls: 2, prompt_tokens: 540, completion_tokens: 902, cost_usd: 0.41 },
      { key: 'none', calls: 1, prompt_tokens: 60, completion_tokens: 3, cost_usd: 0.02 },
    ]);
    const byDay = (await get('/api/v1/usage?group_by=day', apiKey)).body;
    expect(byDay.groups).toEqual([{ key: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), calls: 3, prompt_tokens: 600, completion_tokens: 905, cost_usd: 0.43 }]);
    expect(byDay).toMatchObject({ plan: 'starter', cap_usd: 15, spent_usd: 0.43 });
    // Tenant B's view of the same grouping holds nothing of this tenant's.
    const other = await get('/api/v1/usage?group_by=model', h.keyB);
    expect(other.body.groups.map((g: { key: string }) => g.key)).not.toContain('m/big');

    const periods = await get('/api/v1/usage/periods', apiKey);
    expect(periods.status).toBe(200);
    expect(periods.body).toEqual({ periods: [{ period_start: byDay.period_start, period_end: byDay.period_end, spent_usd: 0.43, calls: 3 }] });
  });

  it('answers a previous period and one named by its start date', async () => {
    const { tenant, apiKey } = await createTenantWithKey(h.db, { name: 'periods', plan: 'trial' });
    await sql`update tenants set billing_anchor = now() - interval '2 months 1 day' where id = ${tenant.id}`.execute(h.db);
    const { periods } = (await get('/api/v1/usage/periods', apiKey)).body;
    expect(periods).toHaveLength(1);
    const previous = await get('/api/v1/usage?period=previous', apiKey);
    expect(previous.status).toBe(200);
    expect(previous.body).toMatchObject({ spent_usd: 0, cap_usd: 5, period_end: periods[0].period_start });
    const byDate = await get(`/api/v1/usage?period=${previous.body.period_start.slice(0, 10)}&group_by=day`, apiKey);
    expect(byDate.body).toMatchObject({ period_start: previous.body.period_start, groups: [] });
  });

  it('refuses bad values with a message naming what is accepted', async () => {
    const cases: [string, RegExp][] = [
      ['group_by=week', /group_by must be one of day, task, model, campaign/],
      ['group_by=day&group_by=task', /query\.group_by/],
      ['period=last', /period must be current, previous or a period start date YYYY-MM-DD/],
      ['period=2026-02-30', /period must be current, previous or a period start date/],
      ['period=2001-01-01', /2001-01-01 is not the start of one of your billing periods; they start on \d{4}-\d{2}-\d{2}/],
      ['period=previous', /there is no previous period/],
      ['bogus=1', /unknown parameter; this route takes group_by, period/],
    ];
    const { apiKey } = await createTenantWithKey(h.db, { name: 'fresh', plan: 'trial' });
    for (const [query, message] of cases) {
      const res = await get(`/api/v1/usage?${query}`, apiKey);
      expect([query, res.status, res.body.message]).toEqual([query, 400, expect.stringMatching(message)]);
    }
    const periodsQuery = await get('/api/v1/usage/periods?limit=1', apiKey);
    expect([periodsQuery.status, periodsQuery.body.issues[0].path]).toEqual([400, 'query.limit']);
    expect((await get('/api/v1/usage?group_by=day', h.adminKey)).status).toBe(403);
  });
});
