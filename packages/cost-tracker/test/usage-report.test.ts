import { PassThrough } from 'node:stream';
import { type Database, createDb, createTenantWithKey, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { createLogger } from '@conveyor/observability';
import { type TestDatabase, createTestDatabase } from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import { CostTracker, UnknownPeriodError, type UsageRecord } from '../src';

const logger = createLogger({ service: 'test', stream: new PassThrough() });
let testDb: TestDatabase;
let db: Kysely<Database>;
let tracker: CostTracker;
beforeAll(async () => {
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  db = createDb(testDb.url);
  tracker = new CostTracker(db, logger);
});
afterAll(async () => {
  await db.destroy();
  await testDb.drop();
});

const tenant = async () => (await createTenantWithKey(db, { name: 'u', plan: 'growth' })).tenant.id;
const call = (over: Partial<UsageRecord>): UsageRecord => ({
  actionType: 'score_post',
  modelUsed: 'm/a',
  promptTokens: 10,
  completionTokens: 5,
  costUsd: 0.01,
  ...over,
});
async function spend(tenantId: string, usage: UsageRecord): Promise<void> {
  const r = (await tracker.reserve(tenantId, usage.costUsd + 0.5, { ttlMs: 60_000 }))!;
  await tracker.settle(r, usage);
}
const anchorAgo = (tenantId: string, ago: string) => sql`update tenants set billing_anchor = now() - ${ago}::interval where id = ${tenantId}`.execute(db);

describe('billing periods', () => {
  it('tile time from the anchor: each instant is in exactly one period, which contains its own start, month ends included', async () => {
    const { rows } = await sql<{ anchor: string; bad: number }>`
      select a::text as anchor, count(*) filter (where not (s <= x and x < e and conveyor_period_start(a, e) = e and conveyor_period_start(a, s) = s
                                                 and conveyor_period_end(a, s) = e and conveyor_period_start(a, e - interval '1 microsecond') = s))::int as bad
        from unnest(array['2027-01-31 10:00Z', '2027-01-30 23:30Z', '2027-01-15 13:00Z', '2028-02-29 00:00Z', '2027-03-31 00:00:00.123456Z']::timestamptz[]) a,
             generate_series(a, a + interval '15 months', interval '601 minutes') x,
             lateral (select conveyor_period_start(a, x) as s, conveyor_period_end(a, x) as e) p
       group by a`.execute(db);
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(row).toEqual({ anchor: row.anchor, bad: 0 });
    // The case 0003's rule got wrong: after Feb 28 10:00 the Jan 31 10:00 anchor's February period has begun.
    const { rows: feb } = await sql<{ s: Date; e: Date }>`
      select conveyor_period_start('2027-01-31 10:00Z', '2027-02-28 12:00Z') as s, conveyor_period_end('2027-01-31 10:00Z', '2027-02-28 12:00Z') as e`.execute(
      db,
    );
    expect([feb[0]!.s.toISOString(), feb[0]!.e.toISOString()]).toEqual(['2027-02-28T10:00:00.000Z', '2027-03-31T10:00:00.000Z']);
  });
});

describe('usage grouped', () => {
  it('groups a period by day, task, model and campaign with token counts, sorted as promised, adding up to the spend', async () => {
    const tenantId = await tenant();
    const other = await tenant();
    await anchorAgo(tenantId, '10 days');
    await spend(tenantId, call({ actionType: 'score_post', modelUsed: 'm/a', campaignId: 'spring', promptTokens: 100, completionTokens: 10, costUsd: 0.2 }));
    await spend(tenantId, call({ actionType: 'score_post', modelUsed: 'm/b', campaignId: null, promptTokens: 50, completionTokens: 5, costUsd: 0.05 }));
    await spend(
      tenantId,
      call({ actionType: 'generate_draft', modelUsed: 'm/b', campaignId: 'spring', promptTokens: 300, completionTokens: 700, costUsd: 0.5 }),
    );
    await spend(other, call({ actionType: 'other_task', modelUsed: 'm/z', campaignId: 'theirs', costUsd: 1 }));
    // The first call was made three days ago (its row's time moved back; the period is the same).
    await sql`update usage_tracking set created_at = now() - interval '3 days' where tenant_id = ${tenantId} and cost_usd = 0.2`.execute(db);
    const dayOf = async (cost: number) =>
      (
        await sql<{
          d: string;
        }>`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as d from usage_tracking where tenant_id = ${tenantId} and cost_usd = ${cost}`.execute(
          db,
        )
      ).rows[0]!.d;
    const [earlier, today] = [await dayOf(0.2), await dayOf(0.5)];
    expect(await dayOf(0.05)).toBe(today);

    const byDay = await tracker.usage(tenantId, { groupBy: 'day' });
    expect(byDay.groups).toEqual([
      { key: earlier, calls: 1, prompt_tokens: 100, completion_tokens: 10, cost_usd: 0.2 },
      { key: today, calls: 2, prompt_tokens: 350, completion_tokens: 705, cost_usd: 0.55 },
    ]);
    expect(byDay.spent_usd).toBeCloseTo(0.75, 8);
    expect((await tracker.usage(tenantId, { groupBy: 'task' })).groups).toEqual([
      { key: 'generate_draft', calls: 1, prompt_tokens: 300, completion_tokens: 700, cost_usd: 0.5 },
      { key: 'score_post', calls: 2, prompt_tokens: 150, completion_tokens: 15, cost_usd: 0.25 },
    ]);
    expect((await tracker.usage(tenantId, { groupBy: 'model' })).groups).toEqual([
      { key: 'm/b', calls: 2, prompt_tokens: 350, completion_tokens: 705, cost_usd: 0.55 },
      { key: 'm/a', calls: 1, prompt_tokens: 100, completion_tokens: 10, cost_usd: 0.2 },
    ]);
    expect((await tracker.usage(tenantId, { groupBy: 'campaign' })).groups).toEqual([
      { key: 'spring', calls: 2, prompt_tokens: 400, completion_tokens: 710, cost_usd: 0.7 },
      { key: 'none', calls: 1, prompt_tokens: 50, completion_tokens: 5, cost_usd: 0.05 },
    ]);
    // Without group_by, no groups; the other tenant's call is nowhere in this tenant's view.
    const plain = await tracker.usage(tenantId);
    expect(plain.groups).toBeUndefined();
    expect(plain.by_action.map((a) => a.action_type)).toEqual(['generate_draft', 'score_post']);
    expect((await tracker.usage(other, { groupBy: 'campaign' })).groups).toEqual([
      { key: 'theirs', calls: 1, prompt_tokens: 10, completion_tokens: 5, cost_usd: 1 },
    ]);
  });
});

describe('usage by period', () => {
  it('reads the previous period by name or by its start date; a call reserved before the rollover and settled after counts in its own period', async () => {
    const tenantId = await tenant();
    await anchorAgo(tenantId, '1 month 2 days');
    const { rows } = await sql<{ prev: string }>`select billing_anchor::text as prev from tenants where id = ${tenantId}`.execute(db);
    const previousStart = rows[0]!.prev;
    // Last period: a budget row, and a reservation made in it that settles only now.
    await sql`insert into tenant_budgets (tenant_id, period_start, cap_usd, spent_usd, reserved_usd) values (${tenantId}, ${previousStart}::timestamptz, 40, 1, 0.5)`.execute(
      db,
    );
    const late = await sql<{ id: string }>`
      insert into budget_reservations (tenant_id, period_start, amount_usd, expires_at) values (${tenantId}, ${previousStart}::timestamptz, 0.5, now() + interval '1 hour') returning id`.execute(
      db,
    );
    await tracker.settle(
      { id: late.rows[0]!.id, tenantId, amountUsd: 0.5 },
      call({ actionType: 'generate_draft', modelUsed: 'm/late', promptTokens: 7, completionTokens: 9, costUsd: 0.3 }),
    );
    await spend(tenantId, call({ costUsd: 0.1 }));

    const previous = await tracker.usage(tenantId, { period: 'previous', groupBy: 'model' });
    expect(previous).toMatchObject({
      cap_usd: 40,
      spent_usd: 1.3,
      reserved_usd: 0,
      groups: [{ key: 'm/late', calls: 1, prompt_tokens: 7, completion_tokens: 9, cost_usd: 0.3 }],
    });
    const startDate = previous.period_start.slice(0, 10);
    expect(await tracker.usage(tenantId, { period: startDate, groupBy: 'model' })).toEqual(previous);
    const current = await tracker.usage(tenantId, { period: 'current', groupBy: 'model' });
    expect(current.period_start).toBe(previous.period_end);
    expect(current).toMatchObject({ spent_usd: 0.1, groups: [{ key: 'm/a', calls: 1 }] });

    const { periods } = await tracker.periods(tenantId);
    expect(periods).toEqual([
      { period_start: current.period_start, period_end: current.period_end, spent_usd: 0.1, calls: 1 },
      { period_start: previous.period_start, period_end: previous.period_end, spent_usd: 1.3, calls: 1 },
    ]);
  });

  it('refuses a date that starts none of the tenant’s periods, naming those that do, and a previous period before the first', async () => {
    const tenantId = await tenant();
    await anchorAgo(tenantId, '2 months 3 days');
    const error = await tracker.usage(tenantId, { period: '2001-01-01' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownPeriodError);
    const starts = (error as UnknownPeriodError).periodStarts;
    expect(starts).toHaveLength(3);
    expect((error as Error).message).toContain(`2001-01-01 is not the start of one of your billing periods; they start on ${starts.join(', ')}`);
    // Each date it names is accepted.
    for (const start of starts) expect((await tracker.usage(tenantId, { period: start })).period_start.slice(0, 10)).toBe(start);

    const fresh = await tenant();
    await expect(tracker.usage(fresh, { period: 'previous' })).rejects.toThrow(
      /there is no previous period: the tenant's first period started \d{4}-\d{2}-\d{2}/,
    );
    expect((await tracker.periods(fresh)).periods).toHaveLength(1);
  });
});
