import { createTenantWithKey } from '@conveyor/db';
import { sql } from 'kysely';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

// Issue 22: a billing period's end for anchors on the 29th, 30th and 31st. A period is
// [anchor + k months, anchor + (k + 1) months), each clamped to its month's end, so the end of
// a period is the start of the next one, never "its start + 1 month" (which, after a clamped
// February start, would end on the 28th or 29th of March and lose days). The expected dates
// are worked out here, in plain calendar arithmetic, not by the code under test.

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const DAY_MS = 86_400_000;
const ANCHOR_TIME = 'T10:15:00.000Z';

/** anchor + k months, the day clamped to the last day of the month it lands in (the time of day kept). */
function periodStart(anchor: string, k: number): string {
  const [year, month, day] = anchor.split('-').map(Number) as [number, number, number];
  const y = year + Math.floor((month - 1 + k) / 12);
  const m = (month - 1 + k) % 12;
  const lastDay = new Date(Date.UTC(y, m + 1, 1) - DAY_MS).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(day, lastDay))).toISOString().slice(0, 10) + ANCHOR_TIME;
}

/** Anchors on the 29th, 30th and 31st in a non-leap and a leap year, and one whose periods cross Feb 2026. */
const CASES: { anchor: string; periods: number }[] = [
  { anchor: '2023-01-29', periods: 15 },
  { anchor: '2023-01-30', periods: 15 },
  { anchor: '2023-01-31', periods: 15 },
  { anchor: '2024-01-29', periods: 15 },
  { anchor: '2024-01-30', periods: 15 },
  { anchor: '2024-01-31', periods: 15 },
  { anchor: '2025-12-31', periods: 4 },
];

async function tenantAnchoredOn(anchor: string): Promise<{ key: string; tenantId: string }> {
  const { tenant, apiKey } = await createTenantWithKey(h.db, { name: `anchor-${anchor}`, plan: 'starter' });
  await sql`update tenants set billing_anchor = ${anchor + ANCHOR_TIME}::timestamptz where id = ${tenant.id}`.execute(h.db);
  return { key: apiKey, tenantId: tenant.id };
}

const get = (path: string, key: string) =>
  request(h.app)
    .get(path)
    .set({ Authorization: `Bearer ${key}` });

it('states the calendar this test expects (February clamps, the next period starts on the anchor day again)', () => {
  expect([0, 1, 2, 13, 14].map((k) => periodStart('2023-01-31', k).slice(0, 10))).toEqual([
    '2023-01-31',
    '2023-02-28',
    '2023-03-31',
    '2024-02-29',
    '2024-03-31',
  ]);
  expect([1, 2].map((k) => periodStart('2024-01-30', k).slice(0, 10))).toEqual(['2024-02-29', '2024-03-30']);
  expect([1, 2, 3].map((k) => periodStart('2025-12-31', k).slice(0, 10))).toEqual(['2026-01-31', '2026-02-28', '2026-03-31']);
});

it.each(CASES)('GET /usage?period=<start>: every period of an anchor on $anchor ends where the next one starts', async ({ anchor, periods }) => {
  const { key } = await tenantAnchoredOn(anchor);
  for (let k = 0; k < periods; k += 1) {
    const start = periodStart(anchor, k);
    const res = await get(`/api/v1/usage?period=${start.slice(0, 10)}`, key);
    expect([start, res.status, res.body.period_start, res.body.period_end]).toEqual([start, 200, start, periodStart(anchor, k + 1)]);
  }
});

it('the examples of the issue: a Jan 31 2023 anchor, a Jan 30 2024 anchor (leap year)', async () => {
  const jan31 = (await tenantAnchoredOn('2023-01-31')).key;
  expect((await get('/api/v1/usage?period=2023-02-28', jan31)).body).toMatchObject({
    period_start: `2023-02-28${ANCHOR_TIME}`,
    period_end: `2023-03-31${ANCHOR_TIME}`,
  });
  expect((await get('/api/v1/usage?period=2023-03-31', jan31)).body.period_start).toBe(`2023-03-31${ANCHOR_TIME}`);
  const jan30 = (await tenantAnchoredOn('2024-01-30')).key;
  expect((await get('/api/v1/usage?period=2024-02-29', jan30)).body).toMatchObject({
    period_start: `2024-02-29${ANCHOR_TIME}`,
    period_end: `2024-03-30${ANCHOR_TIME}`,
  });
  // Not a period start: the clamped day belongs to February only.
  expect((await get('/api/v1/usage?period=2024-03-29', jan30)).status).toBe(400);
});

it.each(CASES)('GET /usage/periods: each listed period of an anchor on $anchor ends at the next one’s start', async ({ anchor, periods }) => {
  const { key, tenantId } = await tenantAnchoredOn(anchor);
  // Budget rows for the periods across February (as reservations in them would have made), each
  // with some spend: the current period, which the route adds, has none.
  for (let k = 0; k < periods; k += 1) {
    await sql`insert into tenant_budgets (tenant_id, period_start, cap_usd, spent_usd)
              values (${tenantId}, ${periodStart(anchor, k)}::timestamptz, 15, ${k + 1})`.execute(h.db);
  }
  const res = await get('/api/v1/usage/periods', key);
  expect(res.status).toBe(200);
  const listed = (res.body.periods as { period_start: string; period_end: string; spent_usd: number }[]).filter((p) => p.spent_usd > 0);
  expect(listed.map((p) => [p.period_start, p.period_end])).toEqual(
    Array.from({ length: periods }, (_, k) => [periodStart(anchor, k), periodStart(anchor, k + 1)]).reverse(),
  );
  for (const [newer, older] of listed.slice(0, -1).map((p, i) => [p, listed[i + 1]!] as const)) expect(older.period_end).toBe(newer.period_start);
});
