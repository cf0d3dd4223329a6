import { PassThrough } from 'node:stream';
import { type Database, createDb, createTenantWithKey, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { createLogger } from '@conveyor/observability';
import { type TestDatabase, createTestDatabase } from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import { Registry } from 'prom-client';
import { CostTracker } from '../src';

const logger = createLogger({ service: 'test', stream: new PassThrough() });
let testDb: TestDatabase;
let db: Kysely<Database>;
beforeAll(async () => {
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  db = createDb(testDb.url);
});
afterAll(async () => {
  await db.destroy();
  await testDb.drop();
});

const tenant = async (plan: 'trial' | 'starter' | 'growth' = 'trial') => (await createTenantWithKey(db, { name: 'b', plan })).tenant.id;
const budgetOf = async (tenantId: string) =>
  (
    await sql<{
      spent: string;
      reserved: string;
    }>`select spent_usd as spent, reserved_usd as reserved from tenant_budgets where tenant_id = ${tenantId} and period_start = (select conveyor_period_start(billing_anchor, now()) from tenants where id = ${tenantId})`.execute(
      db,
    )
  ).rows[0]!;

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

  it('counts refused reservations and the settled spend by action and model, never a release', async () => {
    const registry = new Registry();
    const tracker = new CostTracker(db, logger, registry);
    const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
    const tenantId = await tenant('trial');
    const a = (await tracker.reserve(tenantId, 3, { ttlMs: 60_000 }))!;
    await tracker.settle(a, { actionType: 'score_post', modelUsed: 'vendor/small', promptTokens: 1, completionTokens: 1, costUsd: 0.5 });
    const b = (await tracker.reserve(tenantId, 1, { ttlMs: 60_000 }))!;
    await tracker.settle(b, { actionType: 'generate_draft', modelUsed: 'vendor/large', promptTokens: 1, completionTokens: 1, costUsd: 0.75 });
    await tracker.release((await tracker.reserve(tenantId, 1, { ttlMs: 60_000 }))!);
    expect(await metric('conveyor_budget_refusals_total')).toEqual([{ labels: {}, value: 0 }]);
    // 1.25 of the trial's 5 spent: 4 more do not fit, twice.
    expect(await tracker.reserve(tenantId, 4, { ttlMs: 60_000 })).toBeUndefined();
    expect(await tracker.reserve(tenantId, 4, { ttlMs: 60_000 })).toBeUndefined();
    expect(await metric('conveyor_budget_refusals_total')).toEqual([{ labels: {}, value: 2 }]);
    expect(await metric('conveyor_llm_spend_usd_total')).toEqual([
      { labels: { action: 'score_post', model: 'vendor/small' }, value: 0.5 },
      { labels: { action: 'generate_draft', model: 'vendor/large' }, value: 0.75 },
    ]);
    // A second tracker on the same registry shares the counters instead of failing to register them.
    expect(await new CostTracker(db, logger, registry).reserve(tenantId, 4, { ttlMs: 60_000 })).toBeUndefined();
    expect(await metric('conveyor_budget_refusals_total')).toEqual([{ labels: {}, value: 3 }]);
  });
});

describe('concurrent reservations and settles of one tenant', () => {
  it('never pass the cap, from two processes at once, and refuse only what no longer fits', async () => {
    // A second pool: another worker process, whose statements take turns with this one's on the budget row.
    const other = createDb(testDb.url);
    try {
      const trackers = [new CostTracker(db, logger), new CostTracker(other, logger)];
      const tenantId = await tenant('trial');
      await trackers[0]!.reserve(tenantId, 0.01, { ttlMs: 60_000 }); // the period's budget row
      // 160 amounts from 0.01 to 0.40 (about 33 USD in all) against the trial's 5 USD, all at once:
      // each process writes its share in a few batches of many.
      const amounts = Array.from({ length: 160 }, (_, i) => Number((0.01 + ((i * 37) % 40) / 100).toFixed(2)));
      const outcomes = await Promise.all(amounts.map((amount, i) => trackers[i % 2]!.reserve(tenantId, amount, { ttlMs: 60_000 })));
      const granted = amounts.filter((_, i) => outcomes[i] !== undefined);
      const refused = amounts.filter((_, i) => outcomes[i] === undefined);
      const grantedUsd = granted.reduce((a, b) => a + b, 0.01);
      expect(refused.length).toBeGreaterThan(0);
      expect(grantedUsd).toBeLessThanOrEqual(5 + 1e-9);
      expect(Number((await budgetOf(tenantId)).reserved)).toBeCloseTo(grantedUsd, 8);
      const held = await sql<{ n: number; total: string }>`
        select count(*)::int as n, sum(amount_usd) as total from budget_reservations where tenant_id = ${tenantId} and status = 'held'`.execute(db);
      expect(held.rows[0]).toEqual({ n: granted.length + 1, total: expect.any(String) });
      expect(Number(held.rows[0]!.total)).toBeCloseTo(grantedUsd, 8);
      // Nothing was freed meanwhile, so the room only shrank: a refused amount that fits now would
      // have fitted when it was refused.
      expect(refused.filter((amount) => amount <= 5 - grantedUsd + 1e-9)).toEqual([]);
    } finally {
      await other.destroy();
    }
  });

  it('settle together: each call filed with its attempt, the spend summed once, a reservation settled twice at once counted once', async () => {
    const tracker = new CostTracker(db, logger);
    const tenantId = await tenant('starter');
    const reservations = await Promise.all(Array.from({ length: 30 }, () => tracker.reserve(tenantId, 0.2, { ttlMs: 60_000 })));
    const usage = (i: number) => ({ attempt: i + 1, actionType: `a${i}`, modelUsed: 'm', promptTokens: i, completionTokens: 2 * i, costUsd: 0.01 * (i + 1) });
    const twice = reservations[0]!;
    const settled = await Promise.allSettled([...reservations.map((r, i) => tracker.settle(r!, usage(i))), tracker.settle(twice, usage(0))]);
    expect(settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([
      `Error: reservation ${twice.id} was already settled`,
    ]);
    const spent = Array.from({ length: 30 }, (_, i) => 0.01 * (i + 1)).reduce((a, b) => a + b, 0);
    expect(Number((await budgetOf(tenantId)).spent)).toBeCloseTo(spent, 8);
    expect(Number((await budgetOf(tenantId)).reserved)).toBe(0);
    const rows = await db
      .selectFrom('usage_tracking')
      .select(['action_type', 'attempt', 'prompt_tokens', 'completion_tokens', 'cost_usd'])
      .where('tenant_id', '=', tenantId)
      .orderBy('attempt')
      .execute();
    expect(rows.map((r) => [r.action_type, r.attempt, r.prompt_tokens, r.completion_tokens, Number(r.cost_usd)])).toEqual(
      Array.from({ length: 30 }, (_, i) => [`a${i}`, i + 1, i, 2 * i, Number((0.01 * (i + 1)).toFixed(2))]),
    );
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
    await sql`insert into tenant_budgets (tenant_id, period_start, cap_usd, spent_usd) values (${tenantId}, (select billing_anchor from tenants where id = ${tenantId}), 5, 5)`.execute(
      db,
    );
    const r = await tracker.reserve(tenantId, 4, { ttlMs: 1000 });
    expect(r).toBeDefined();
    const usage = await tracker.usage(tenantId);
    expect(new Date(usage.period_start).getTime()).toBeGreaterThan(Date.now() - 3 * 86_400_000);
    expect(usage).toMatchObject({ spent_usd: 0, reserved_usd: 4 });
  });
});
