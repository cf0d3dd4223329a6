import type { UsageGroup, UsageGroupBy, UsagePeriodsView, UsageView } from '@conveyor/contracts';
import type { Database, Plan } from '@conveyor/db';
import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { BillingPeriod } from './billing-periods';

const GROUP_KEYS: Record<UsageGroupBy, RawBuilder<string>> = {
  day: sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`,
  task: sql<string>`action_type`,
  model: sql<string>`model_used`,
  campaign: sql<string>`coalesce(campaign_id, 'none')`,
};

/**
 * One period's spend: the budget row's totals (the cap of the plan when the period has no row,
 * i.e. nothing was reserved in it), the calls by action, and, when asked, grouped usage with
 * token counts. Usage rows are filed under the period of the budget they were charged to, so
 * the groups add up to spent_usd.
 */
export async function periodUsage(
  db: Kysely<Database>,
  tenantId: string,
  period: BillingPeriod,
  options: { groupBy?: UsageGroupBy; planCap: (plan: Plan) => number },
): Promise<UsageView> {
  const budget = await sql<{ plan: Plan; cap_usd: string | null; spent_usd: string | null; reserved_usd: string | null }>`
    select t.plan, tb.cap_usd, tb.spent_usd, tb.reserved_usd
      from tenants t left join tenant_budgets tb on tb.tenant_id = t.id and tb.period_start = ${period.startText}::timestamptz
     where t.id = ${tenantId}`.execute(db);
  const b = budget.rows[0]!;
  const inPeriod = db
    .selectFrom('usage_tracking')
    .where('tenant_id', '=', tenantId)
    .where('period_start', '=', sql<Date>`${period.startText}::timestamptz`);
  const byAction = await inPeriod
    .select(['action_type', sql<number>`count(*)::int`.as('calls'), sql<string>`sum(cost_usd)`.as('cost_usd')])
    .groupBy('action_type')
    .orderBy('action_type')
    .execute();
  const cap = b.cap_usd === null ? options.planCap(b.plan) : Number(b.cap_usd);
  const spent = Number(b.spent_usd ?? 0);
  const reserved = Number(b.reserved_usd ?? 0);
  const view: UsageView = {
    plan: b.plan,
    period_start: period.start.toISOString(),
    period_end: period.end.toISOString(),
    cap_usd: cap,
    spent_usd: spent,
    reserved_usd: reserved,
    remaining_usd: Math.max(0, cap - spent - reserved),
    by_action: byAction.map((a) => ({ action_type: a.action_type, calls: a.calls, cost_usd: Number(a.cost_usd) })),
  };
  if (options.groupBy) view.groups = await groupedUsage(inPeriod, options.groupBy);
  return view;
}

async function groupedUsage(inPeriod: SelectQueryBuilder<Database, 'usage_tracking', object>, groupBy: UsageGroupBy): Promise<UsageGroup[]> {
  const key = GROUP_KEYS[groupBy];
  const rows = await inPeriod
    .select([
      key.as('key'),
      sql<number>`count(*)::int`.as('calls'),
      sql<string>`sum(prompt_tokens)`.as('prompt_tokens'),
      sql<string>`sum(completion_tokens)`.as('completion_tokens'),
      sql<string>`sum(cost_usd)`.as('cost_usd'),
    ])
    .groupBy(key)
    .execute();
  const groups = rows.map((r) => ({
    key: r.key,
    calls: r.calls,
    prompt_tokens: Number(r.prompt_tokens),
    completion_tokens: Number(r.completion_tokens),
    cost_usd: Number(r.cost_usd),
  }));
  const byKey = (a: UsageGroup, b: UsageGroup) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return groups.sort(groupBy === 'day' ? byKey : (a, b) => b.cost_usd - a.cost_usd || byKey(a, b));
}

/**
 * The tenant's periods that have a budget row or usage, newest first, the current one always
 * included (its row is made by the caller): spent from the budget row, calls from the usage rows.
 */
export async function listPeriods(db: Kysely<Database>, tenantId: string): Promise<UsagePeriodsView> {
  const { rows } = await sql<{ period_start: Date; period_end: Date; spent_usd: string; calls: number }>`
    with u as (
      select period_start, count(*)::int as calls, sum(cost_usd) as cost from usage_tracking where tenant_id = ${tenantId} group by period_start
    ), p as (
      select coalesce(b.period_start, u.period_start) as period_start, coalesce(b.spent_usd, u.cost, 0) as spent_usd, coalesce(u.calls, 0) as calls
        from (select period_start, spent_usd from tenant_budgets where tenant_id = ${tenantId}) b full join u on u.period_start = b.period_start
    )
    select p.period_start, conveyor_period_end(t.billing_anchor, p.period_start) as period_end, p.spent_usd, p.calls
      from p, tenants t where t.id = ${tenantId}
     order by p.period_start desc`.execute(db);
  return {
    periods: rows.map((r) => ({
      period_start: r.period_start.toISOString(),
      period_end: r.period_end.toISOString(),
      spent_usd: Number(r.spent_usd),
      calls: r.calls,
    })),
  };
}
