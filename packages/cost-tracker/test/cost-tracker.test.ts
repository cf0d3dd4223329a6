import { PassThrough } from 'node:stream';
import { type Database, createDb, createTenantWithKey, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { DEFAULT_PRICES, createInferenceRouter } from '@conveyor/inference';
import { createLogger } from '@conveyor/observability';
import { DEFAULT_SIM_MODELS, LlmSimulator } from '@conveyor/sim';
import { type TestDatabase, createTestDatabase } from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import { Registry } from 'prom-client';
import { BudgetedInference, CostTracker } from '../src';

const logger = createLogger({ service: 'test', stream: new PassThrough() });
let testDb: TestDatabase;
let db: Kysely<Database>;
beforeAll(async () => {
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  // 200 concurrent calls queue for these 30 connections behind one budget row's lock, and on
  // a busy machine the last in line waits longer than createDb's default 3 s for its
  // connection ("timeout exceeded when trying to connect"). That queue is this test's own
  // doing, so a caller waits for a connection as long as it takes; the test's timeout bounds it.
  db = createDb(testDb.url, { max: 30, connectionTimeoutMillis: 0 });
});
afterAll(async () => {
  await db.destroy();
  await testDb.drop();
});

const tenant = async (plan: 'trial' | 'starter' | 'growth' = 'trial') => (await createTenantWithKey(db, { name: 'b', plan })).tenant.id;
const budgetOf = async (tenantId: string) =>
  (await sql<{ spent: string; reserved: string }>`select spent_usd as spent, reserved_usd as reserved from tenant_budgets where tenant_id = ${tenantId} and period_start = (select conveyor_period_start(billing_anchor, now()) from tenants where id = ${tenantId})`.execute(db)).rows[0]!;

describe('200 concurrent LLM calls on one tenant', () => {
  // Prices ×1000 in both the simulator and the router, so that real spend, not only the
  // reservations, runs into the $5 trial cap.
  const sim = new LlmSimulator(DEFAULT_SIM_MODELS.map((m) => ({ ...m, promptPrice: m.promptPrice * 1000, completionPrice: m.completionPrice * 1000 })));
  let baseUrl: string;
  beforeAll(async () => (baseUrl = await sim.listen()));
  afterAll(() => sim.close());

  it('never records spend above the cap; the calls that do not fit end PLAN_LIMIT_REACHED', async () => {
    const prices = Object.fromEntries(Object.entries(DEFAULT_PRICES).map(([m, p]) => [m, { prompt: p.prompt * 1000, completion: p.completion * 1000 }]));
    // The simulator answers at once; the inference timeout (the product's default) is only a
    // bound for a hang, never a race with a slow machine.
    const router = createInferenceRouter({ baseUrl, apiKey: 'k', timeoutMs: 60_000, priceOverrides: prices, routeOverrides: { score_post: { maxTokens: 60 } } }, logger);
    const tracker = new CostTracker(db, logger);
    const llm = new BudgetedInference(router, tracker);
    const tenantId = await tenant('trial');
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        llm.complete({ tenantId, task: 'score_post', actionType: 'score_post', campaignId: 'c1', messages: [{ role: 'user', content: `Score post number ${i} for clarity and hook.` }] }).then(
          (r) => ({ ok: true as const, cost: r.cost_usd }),
          (e: { code?: string; message?: string }) => ({ ok: false as const, code: e.code, message: e.message }),
        ),
      ),
    );
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused.length).toBeGreaterThan(0);
    // Every call either ran or was refused by the plan; anything else is shown with its message.
    expect(refused.filter((o) => !o.ok && o.code !== 'PLAN_LIMIT_REACHED')).toEqual([]);
    const recorded = await sql<{ total: string; calls: number }>`select coalesce(sum(cost_usd), 0) as total, count(*)::int as calls from usage_tracking where tenant_id = ${tenantId}`.execute(db);
    const total = Number(recorded.rows[0]!.total);
    expect(total).toBeLessThanOrEqual(5);
    expect(recorded.rows[0]!.calls).toBe(outcomes.length - refused.length);
    const budget = await budgetOf(tenantId);
    expect(Number(budget.spent)).toBeCloseTo(total, 6);
    expect(Number(budget.reserved)).toBe(0);
    const usage = await tracker.usage(tenantId);
    expect(usage).toMatchObject({ plan: 'trial', cap_usd: 5, reserved_usd: 0, by_action: [{ action_type: 'score_post', calls: outcomes.length - refused.length }] });
    expect(usage.remaining_usd).toBeCloseTo(5 - total, 6);
  }, 120_000);
});

describe('reservations', () => {
  it('frees the reservation of a crashed worker once it expires, and reuses the room', async () => {
    const tracker = new CostTracker(db, logger);
    const tenantId = await tenant('trial');
    const crashed = await tracker.reserve(tenantId, 4.5, { ttlMs: 1 });
    expect(crashed).toBeDefined();
    expect(Number((await budgetOf(tenantId)).reserved)).toBeCloseTo(4.5);
    await new Promise((r) => setTimeout(r, 20));
    // The cap is full of a dead reservation: reserve() expires it and then fits.
    const next = await tracker.reserve(tenantId, 1, { ttlMs: 60_000 });
    expect(next).toBeDefined();
    expect(Number((await budgetOf(tenantId)).reserved)).toBeCloseTo(1);
    await tracker.release(next!);
    expect(Number((await budgetOf(tenantId)).reserved)).toBe(0);
  });

  it('settles the actual cost and frees the rest; a late settle of an expired reservation still counts the spend', async () => {
    const tracker = new CostTracker(db, logger);
    const tenantId = await tenant('starter');
    const r = (await tracker.reserve(tenantId, 2, { ttlMs: 1 }))!;
    await new Promise((res) => setTimeout(res, 20));
    expect(await tracker.expireStale()).toBeGreaterThanOrEqual(1);
    await tracker.settle(r, { actionType: 'generate_draft', modelUsed: 'm', promptTokens: 10, completionTokens: 20, costUsd: 0.25 });
    expect(await budgetOf(tenantId)).toEqual({ spent: expect.stringMatching(/^0\.25/), reserved: expect.stringMatching(/^0(\.0+)?$/) });
    await expect(tracker.settle(r, { actionType: 'x', modelUsed: 'm', promptTokens: 1, completionTokens: 1, costUsd: 1 })).rejects.toThrow(/already settled/);
  });

  it('logs and counts each threshold crossing once per period', async () => {
    const registry = new Registry();
    const tracker = new CostTracker(db, logger, registry);
    const tenantId = await tenant('trial');
    for (const cost of [2.6, 0.1, 1.5, 0.8]) {
      const r = (await tracker.reserve(tenantId, cost, { ttlMs: 60_000 }))!;
      await tracker.settle(r, { actionType: 'score_post', modelUsed: 'm', promptTokens: 1, completionTokens: 1, costUsd: cost });
    }
    const values = (await registry.getSingleMetric('conveyor_budget_threshold_crossings_total')!.get()).values;
    expect(Object.fromEntries(values.map((v) => [v.labels.threshold, v.value]))).toEqual({ '50': 1, '80': 1, '100': 1 });
    expect(await tracker.reserve(tenantId, 0.01, { ttlMs: 1000 })).toBeUndefined();
  });
});

describe('billing periods', () => {
  it('are calendar months from the anchor, clamped at month ends', async () => {
    const cases: [string, string, string][] = [
      ['2026-01-31T00:00:00Z', '2026-02-15T00:00:00Z', '2026-01-31T00:00:00.000Z'],
      ['2026-01-31T00:00:00Z', '2026-03-01T00:00:00Z', '2026-02-28T00:00:00.000Z'],
      ['2026-01-31T00:00:00Z', '2026-03-31T12:00:00Z', '2026-03-31T00:00:00.000Z'],
      ['2026-01-10T00:00:00Z', '2026-01-09T00:00:00Z', '2026-01-10T00:00:00.000Z'],
    ];
    for (const [anchor, at, expected] of cases) {
      const { rows } = await sql<{ start: Date }>`select conveyor_period_start(${anchor}::timestamptz, ${at}::timestamptz) as start`.execute(db);
      expect(rows[0]!.start.toISOString()).toBe(expected);
    }
  });

  it('roll over on the anchor date: last period’s spend does not count in the new one', async () => {
    const tracker = new CostTracker(db, logger);
    const tenantId = await tenant('trial');
    await sql`update tenants set billing_anchor = now() - interval '1 month 2 days' where id = ${tenantId}`.execute(db);
    await sql`insert into tenant_budgets (tenant_id, period_start, cap_usd, spent_usd) values (${tenantId}, (select billing_anchor from tenants where id = ${tenantId}), 5, 5)`.execute(db);
    const r = await tracker.reserve(tenantId, 4, { ttlMs: 1000 });
    expect(r).toBeDefined();
    const usage = await tracker.usage(tenantId);
    expect(new Date(usage.period_start).getTime()).toBeGreaterThan(Date.now() - 3 * 86_400_000);
    expect(usage).toMatchObject({ spent_usd: 0, reserved_usd: 4 });
  });
});
