import { PassThrough } from 'node:stream';
import { type Database, createDb, createTenantWithKey, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { createLogger } from '@conveyor/observability';
import { type TestDatabase, createTestDatabase } from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import { ActionLimitReachedError, CostTracker, type PlanActionLimits } from '../src';

// Per-action limits per plan (PLAN_ACTION_LIMITS), enforced by the budget reservation itself:
// counted under the budget row's lock, so concurrent reservations (in one process and across
// processes) never take more calls than the plan allows; a released call is given back, a
// settled one counts.

const logger = createLogger({ service: 'test', stream: new PassThrough() });
const LIMITS: PlanActionLimits = { trial: { generate_draft: 10, score_post: 0 }, starter: { generate_draft: 3 } };
const usage = (actionType: string) => ({ actionType, modelUsed: 'm', promptTokens: 10, completionTokens: 10, costUsd: 0.001 });

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

const tenant = async (plan: 'trial' | 'starter' | 'growth') => (await createTenantWithKey(db, { name: plan, plan })).tenant.id;
const reserve = (tracker: CostTracker, tenantId: string, action: string, amount = 0.01) =>
  tracker.reserve(tenantId, amount, { ttlMs: 60_000, action }).then(
    (reservation) => ({ reservation, refusal: undefined }),
    (error: unknown) => {
      if (error instanceof ActionLimitReachedError) return { reservation: undefined, refusal: error };
      throw error;
    },
  );

it('60 concurrent reservations of one tenant from two processes: exactly the 10 the plan allows succeed', async () => {
  // A second pool: another worker process, whose statements take turns with this one's on the budget row.
  const other = createDb(testDb.url);
  try {
    const trackers = [new CostTracker(db, logger, undefined, undefined, LIMITS), new CostTracker(other, logger, undefined, undefined, LIMITS)];
    const tenantId = await tenant('trial');
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => reserve(trackers[i % 2]!, tenantId, 'generate_draft', 0.01 + (i % 7) / 1000)));
    expect(outcomes.filter((o) => o.reservation).length).toBe(10);
    const refusals = outcomes.flatMap((o) => (o.refusal ? [o.refusal] : []));
    expect(refusals.length).toBe(50);
    expect(new Set(refusals.map((r) => r.message))).toEqual(new Set(['plan trial allows 10 generate_draft calls per billing period; 10 used']));
    const held = await sql<{ n: number }>`
      select count(*)::int as n from budget_reservations where tenant_id = ${tenantId} and status = 'held' and action_type = 'generate_draft'`.execute(db);
    expect(held.rows[0]!.n).toBe(10);
    // Another action, which no plan limits, is not held back by it.
    expect((await reserve(trackers[0]!, tenantId, 'classify_archetype')).reservation).toBeDefined();
  } finally {
    await other.destroy();
  }
});

it('a released call is given back, a settled one counts, an expired one is given back', async () => {
  const tracker = new CostTracker(db, logger, undefined, undefined, LIMITS);
  const tenantId = await tenant('starter');
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => reserve(tracker, tenantId, 'generate_draft')));
  expect((await reserve(tracker, tenantId, 'generate_draft')).refusal?.refusal).toEqual({ plan: 'starter', action: 'generate_draft', limit: 3, used: 3 });

  await tracker.release(a!.reservation!);
  const again = await reserve(tracker, tenantId, 'generate_draft');
  expect(again.reservation).toBeDefined();
  await tracker.settle(b!.reservation!, usage('generate_draft'));
  await tracker.settle(again.reservation!, usage('generate_draft'));
  expect((await reserve(tracker, tenantId, 'generate_draft')).refusal?.message).toBe('plan starter allows 3 generate_draft calls per billing period; 3 used');

  // A crashed worker's hold lapses: the call is given back once it expires.
  await sql`update budget_reservations set expires_at = now() - interval '1 second' where id = ${c!.reservation!.id}`.execute(db);
  expect((await reserve(tracker, tenantId, 'generate_draft')).reservation).toBeDefined();
});

it("limits only the plans that name the action: 0 refuses every call, another plan's tenant is not limited", async () => {
  const tracker = new CostTracker(db, logger, undefined, undefined, LIMITS);
  const trial = await tenant('trial');
  expect((await reserve(tracker, trial, 'score_post')).refusal?.message).toBe('plan trial allows 0 score_post calls per billing period; 0 used');
  const growth = await tenant('growth');
  const outcomes = await Promise.all(Array.from({ length: 15 }, () => reserve(tracker, growth, 'generate_draft')));
  expect(outcomes.every((o) => o.reservation)).toBe(true);
  // Nothing recorded an action where no limit applies: the growth tenant's reservations have none.
  const recorded = await sql<{ n: number }>`select count(*)::int as n from budget_reservations where tenant_id = ${growth} and action_type is not null`.execute(
    db,
  );
  expect(recorded.rows[0]!.n).toBe(0);
});

it('the cap still refuses (undefined) before the limit is reached, and the check reports both', async () => {
  const tracker = new CostTracker(db, logger, undefined, undefined, LIMITS);
  const tenantId = await tenant('trial');
  expect(await tracker.check(tenantId, 'generate_draft', 0.5)).toEqual({
    task: 'generate_draft',
    fits: true,
    worst_case_usd: 0.5,
    remaining_usd: 5,
    calls_that_fit: 10,
    limit: { plan: 'trial', calls_per_period: 10, used: 0, remaining: 10 },
  });
  const big = await reserve(tracker, tenantId, 'generate_draft', 4.8);
  expect(big.reservation).toBeDefined();
  expect(await reserve(tracker, tenantId, 'generate_draft', 0.5)).toEqual({ reservation: undefined, refusal: undefined });
  const check = await tracker.check(tenantId, 'generate_draft', 0.5);
  expect(check).toMatchObject({
    fits: false,
    calls_that_fit: 0,
    limit: { used: 1, remaining: 9 },
    reason: expect.stringMatching(/spending cap leaves \$0\.2000/),
  });
  expect(check.remaining_usd).toBeCloseTo(0.2, 8);
  // Without a limit for the action, no limit is reported.
  expect(await tracker.check(tenantId, 'classify_archetype', 0.1)).toMatchObject({ fits: true, calls_that_fit: 2 });
  expect((await tracker.check(tenantId, 'classify_archetype', 0.1)).limit).toBeUndefined();
});
