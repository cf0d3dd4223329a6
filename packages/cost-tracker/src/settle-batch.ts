import { type Database, runPrepared } from '@conveyor/db';
import type { Kysely } from 'kysely';

/** One LLM call as usage_tracking records it. */
export interface UsageRecord {
  taskId?: string | null;
  /** The task's attempt that made the call; when absent, the task's current attempt. */
  attempt?: number | null;
  actionType: string;
  campaignId?: string | null;
  modelUsed: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  generationId?: string | null;
}

export interface SettleRequest {
  reservationId: string;
  usage: UsageRecord;
}

/** What a settle found: the reservation's status before it (undefined: no such reservation) and its budget's move. */
export interface SettleAnswer {
  oldStatus: string | undefined;
  /** The budget the call was charged to (absent when nothing was settled). */
  budget?: SettledBudget;
}

/** A budget row a batch moved: after the whole batch, and the logged threshold before and after it. */
interface SettledBudget {
  tenantId: string;
  periodStart: string;
  spentUsd: number;
  capUsd: number;
  alertedPctBefore: number;
  alertedPctAfter: number;
}

// Settles many calls in one statement: it locks their reservations (in id order) and closes
// those still held or expired, then locks each budget row they were charged to (in key order;
// one batch holds one tenant's, a second row only across a period's end), adds the actual
// costs to spent_usd, frees what was held for them (an expired reservation no longer counts
// in reserved_usd, but its money was spent all the same), moves alerted_pct up to the highest
// logged threshold the spend has reached, files the usage rows under the reservations'
// periods, and records a budget alert delivery for each of the tenant's alert thresholds the
// spend has reached, with the spend of the call that reached it (the running sum in arrival
// order), once per period and threshold: a unique key, so concurrent settles in any number of
// processes record it once. Answers one row per request, in order. A call's attempt, when not
// given, is its task's current one, read by primary key per row (a join to tasks let a generic
// plan scan the whole table). Run as a named prepared statement: bump the version in the name
// whenever the text changes.
const SETTLE = `
with s as (
  select * from unnest($1::uuid[], $2::numeric[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[], $10::text[])
    with ordinality as s(id, cost, task_id, attempt, action_type, campaign_id, model_used, prompt_tokens, completion_tokens, generation_id, i)
), o as (
  select br.id, br.status, br.amount_usd, br.tenant_id, br.period_start
    from budget_reservations br where br.id = any($1::uuid[]) order by br.id for update
), r as (
  update budget_reservations b set status = 'settled' from o
   where b.id = o.id and o.status in ('held', 'expired')
  returning o.id, o.status as old_status, o.amount_usd, o.tenant_id, o.period_start
), settled as (
  select s.*, r.old_status, r.amount_usd, r.tenant_id, r.period_start from s join r on r.id = s.id
), sums as (
  select tenant_id, period_start, sum(cost) as spent, sum(case when old_status = 'held' then amount_usd else 0 end) as freed
    from settled group by tenant_id, period_start
), before as (
  select tb.tenant_id, tb.period_start, tb.spent_usd, tb.cap_usd, tb.alerted_pct, sums.spent, sums.freed
    from tenant_budgets tb join sums on sums.tenant_id = tb.tenant_id and sums.period_start = tb.period_start
   order by tb.tenant_id, tb.period_start
     for update of tb
), after as (
  update tenant_budgets tb
     set spent_usd = tb.spent_usd + b.spent,
         reserved_usd = greatest(0, tb.reserved_usd - b.freed),
         alerted_pct = greatest(tb.alerted_pct, coalesce((select max(th) from unnest($11::int[]) th where (tb.spent_usd + b.spent) * 100 >= tb.cap_usd * th), 0))
    from before b
   where tb.tenant_id = b.tenant_id and tb.period_start = b.period_start
  returning tb.tenant_id, tb.period_start, tb.spent_usd, tb.cap_usd, tb.alerted_pct
), running as (
  select st.tenant_id, st.period_start, b.cap_usd,
         b.spent_usd + sum(st.cost) over (partition by st.tenant_id, st.period_start order by st.i) as spent_usd
    from settled st join before b on b.tenant_id = st.tenant_id and b.period_start = st.period_start
), used as (
  insert into usage_tracking (tenant_id, task_id, action_type, campaign_id, model_used, prompt_tokens, completion_tokens, cost_usd, generation_id, period_start, attempt)
  select st.tenant_id, st.task_id, st.action_type, st.campaign_id, st.model_used, st.prompt_tokens, st.completion_tokens, st.cost, st.generation_id,
         st.period_start, coalesce(st.attempt, (select tk.attempt from tasks tk where tk.id = st.task_id))
    from settled st
   order by st.i
), alerts as (
  insert into budget_alert_deliveries (tenant_id, period_start, threshold, cap_usd, spent_usd)
  select x.tenant_id, x.period_start, th, x.cap_usd, min(x.spent_usd)
    from running x join budget_alerts a on a.tenant_id = x.tenant_id cross join unnest(a.thresholds) th
   where x.spent_usd * 100 >= x.cap_usd * th
   group by x.tenant_id, x.period_start, th, x.cap_usd
  on conflict (tenant_id, period_start, threshold) do nothing
)
select s.i::int as i, o.status as old_status, a.tenant_id, a.period_start::text as period_start, a.spent_usd, a.cap_usd,
       b.alerted_pct as alerted_before, a.alerted_pct as alerted_after
  from s
  left join o on o.id = s.id
  left join before b on b.tenant_id = o.tenant_id and b.period_start = o.period_start
  left join after a on a.tenant_id = o.tenant_id and a.period_start = o.period_start
 order by s.i`;

interface Row {
  i: number;
  old_status: string | null;
  tenant_id: string | null;
  period_start: string | null;
  spent_usd: string | null;
  cap_usd: string | null;
  alerted_before: number | null;
  alerted_after: number | null;
}

/**
 * Settles calls in one statement and one commit; one answer per request, in order. At most one
 * request per reservation (two in one statement would count its cost twice). `loggedThresholds`
 * are the percentages of the cap that alerted_pct steps through.
 */
export async function settleBatch(db: Kysely<Database>, requests: SettleRequest[], loggedThresholds: readonly number[]): Promise<SettleAnswer[]> {
  if (requests.length === 0) return [];
  const u = requests.map((r) => r.usage);
  const rows = await runPrepared<Row>(db, 'conveyor_settle_budget_v2', SETTLE, [
    requests.map((r) => r.reservationId),
    u.map((x) => x.costUsd),
    u.map((x) => x.taskId ?? null),
    u.map((x) => x.attempt ?? null),
    u.map((x) => x.actionType),
    u.map((x) => x.campaignId ?? null),
    u.map((x) => x.modelUsed),
    u.map((x) => x.promptTokens),
    u.map((x) => x.completionTokens),
    u.map((x) => x.generationId ?? null),
    loggedThresholds,
  ]);
  return rows.map((row) => ({
    oldStatus: row.old_status ?? undefined,
    budget:
      row.tenant_id !== null && row.period_start !== null && row.spent_usd !== null && row.cap_usd !== null
        ? {
            tenantId: row.tenant_id,
            periodStart: row.period_start,
            spentUsd: Number(row.spent_usd),
            capUsd: Number(row.cap_usd),
            alertedPctBefore: row.alerted_before ?? 0,
            alertedPctAfter: row.alerted_after ?? 0,
          }
        : undefined,
  }));
}
