import { PassThrough } from 'node:stream';
import { type Database, createDb, createTenantWithKey, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { createLogger } from '@conveyor/observability';
import { type TestDatabase, createTestDatabase } from '@conveyor/testkit';
import type { Kysely } from 'kysely';
import { CostTracker, claimDueDeliveries, deleteBudgetAlert, getBudgetAlert, listBudgetAlertDeliveries, putBudgetAlert, recordDeliveryOutcome } from '../src';

const logger = createLogger({ service: 'test', stream: new PassThrough() });
let testDb: TestDatabase;
let db: Kysely<Database>;
// A second pool: the settles of another worker process.
let otherProcess: Kysely<Database>;
beforeAll(async () => {
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  db = createDb(testDb.url);
  otherProcess = createDb(testDb.url);
});
afterAll(async () => {
  await Promise.all([db.destroy(), otherProcess.destroy()]);
  await testDb.drop();
});

const tenant = async () => (await createTenantWithKey(db, { name: 'a', plan: 'trial' })).tenant.id;
const usage = (costUsd: number) => ({ actionType: 'score_post', modelUsed: 'm', promptTokens: 1, completionTokens: 1, costUsd });
const deliveriesOf = async (tenantId: string) =>
  db.selectFrom('budget_alert_deliveries').selectAll().where('tenant_id', '=', tenantId).orderBy('threshold').execute();

describe('budget alert deliveries', () => {
  it('are recorded once per threshold and period by the settles that reach them, however many settle at once in however many processes', async () => {
    const tenantId = await tenant();
    const quiet = await tenant();
    await putBudgetAlert(db, tenantId, { url: 'https://hooks.example.com/a', thresholds: [100, 50, 80] });
    const trackers = [new CostTracker(db, logger), new CostTracker(otherProcess, logger)];
    // 20 calls of 0.25 against the trial cap of 5: each threshold is reached by some settle, concurrently.
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const tracker = trackers[i % 2]!;
        const r = (await tracker.reserve(tenantId, 0.25, { ttlMs: 60_000 }))!;
        await tracker.settle(r, usage(0.25));
      }),
    );
    const rows = await deliveriesOf(tenantId);
    expect(rows.map((r) => [r.threshold, r.status, r.attempts])).toEqual([
      [50, 'pending', 0],
      [80, 'pending', 0],
      [100, 'pending', 0],
    ]);
    // Each records the spend that reached it, and the cap.
    for (const row of rows) {
      expect(Number(row.cap_usd)).toBe(5);
      expect(Number(row.spent_usd)).toBeGreaterThanOrEqual((5 * row.threshold) / 100);
      expect(Number(row.spent_usd)).toBeLessThan((5 * row.threshold) / 100 + 0.25);
    }
    expect(new Set(rows.map((r) => r.period_start.getTime())).size).toBe(1);
    // A tenant without a webhook records none.
    const r = (await trackers[0]!.reserve(quiet, 4, { ttlMs: 60_000 }))!;
    await trackers[0]!.settle(r, usage(4));
    expect(await deliveriesOf(quiet)).toEqual([]);
  });

  it('records only the configured thresholds, and none below the first', async () => {
    const tenantId = await tenant();
    await putBudgetAlert(db, tenantId, { url: 'https://hooks.example.com/b', thresholds: [30, 90] });
    const tracker = new CostTracker(db, logger);
    for (const cost of [1, 1]) {
      const r = (await tracker.reserve(tenantId, cost, { ttlMs: 60_000 }))!;
      await tracker.settle(r, usage(cost));
    }
    expect((await deliveriesOf(tenantId)).map((r) => r.threshold)).toEqual([30]);
  });

  it('are leased to one sender at a time, and an outcome is written only by the attempt that holds the row', async () => {
    const tenantId = await tenant();
    await putBudgetAlert(db, tenantId, { url: 'https://hooks.example.com/c', thresholds: [10, 20, 30, 40] });
    const tracker = new CostTracker(db, logger);
    const r = (await tracker.reserve(tenantId, 2.5, { ttlMs: 60_000 }))!;
    await tracker.settle(r, usage(2.5));
    const [first, second] = await Promise.all([
      claimDueDeliveries(db, { limit: 100, leaseMs: 60_000 }),
      claimDueDeliveries(otherProcess, { limit: 100, leaseMs: 60_000 }),
    ]);
    // Two senders at once never take the same row.
    const firstIds = new Set(first.map((d) => d.id));
    expect(second.filter((d) => firstIds.has(d.id))).toEqual([]);
    const mine = [...first, ...second].filter((d) => d.tenantId === tenantId);
    expect(mine.map((d) => d.threshold).sort((a, b) => a - b)).toEqual([10, 20, 30, 40]);
    expect(mine.every((d) => d.attempts === 1 && d.url === 'https://hooks.example.com/c' && d.secret.startsWith('cvw_'))).toBe(true);
    // Leased: nothing is due until the lease ends.
    expect((await claimDueDeliveries(db, { limit: 10, leaseMs: 60_000 })).filter((d) => d.tenantId === tenantId)).toEqual([]);

    const [a, b, c] = mine;
    expect(await recordDeliveryOutcome(db, { id: a!.id, attempts: 2 }, { status: 'delivered' })).toBe(false);
    expect(await recordDeliveryOutcome(db, a!, { status: 'delivered' })).toBe(true);
    expect(await recordDeliveryOutcome(db, a!, { status: 'failed', error: 'late' })).toBe(false);
    expect(await recordDeliveryOutcome(db, b!, { status: 'retry', error: 'the webhook answered 503', delayMs: 0 })).toBe(true);
    expect(await recordDeliveryOutcome(db, c!, { status: 'failed', error: 'the webhook answered 410' })).toBe(true);
    const again = (await claimDueDeliveries(db, { limit: 10, leaseMs: 60_000 })).filter((d) => d.tenantId === tenantId);
    expect(again.map((d) => [d.threshold, d.attempts])).toEqual([[b!.threshold, 2]]);

    // Removing the webhook fails what is still pending; the list says what happened to each.
    expect(await deleteBudgetAlert(db, tenantId)).toBe(true);
    expect(await deleteBudgetAlert(db, tenantId)).toBe(false);
    expect(await getBudgetAlert(db, tenantId)).toBeUndefined();
    const { deliveries } = await listBudgetAlertDeliveries(db, tenantId);
    const byThreshold = Object.fromEntries(deliveries.map((d) => [d.threshold, d]));
    expect(byThreshold[a!.threshold]).toMatchObject({ status: 'delivered', attempts: 1, last_error: null, delivered_at: expect.any(String) });
    expect(byThreshold[c!.threshold]).toMatchObject({ status: 'failed', attempts: 1, last_error: 'the webhook answered 410', delivered_at: null });
    expect(byThreshold[b!.threshold]).toMatchObject({ status: 'failed', attempts: 2, last_error: expect.stringMatching(/removed/) });
    expect(deliveries.map((d) => d.threshold)).toEqual([10, 20, 30, 40]);
  });

  it('keep one webhook per tenant: a PUT replaces url, thresholds and secret', async () => {
    const tenantId = await tenant();
    const first = await putBudgetAlert(db, tenantId, { url: 'https://one.example.com/', thresholds: [80, 50] });
    const second = await putBudgetAlert(db, tenantId, { url: 'https://two.example.com/', thresholds: [100] });
    expect(first.thresholds).toEqual([50, 80]);
    expect(second.secret).not.toBe(first.secret);
    expect(second.secret).toMatch(/^cvw_[0-9a-f]{64}$/);
    expect(await getBudgetAlert(db, tenantId)).toEqual({ url: 'https://two.example.com/', thresholds: [100], created_at: second.created_at });
  });
});
