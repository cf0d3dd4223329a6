import { type Database, type Plan, runPrepared } from '@conveyor/db';
import type { Kysely } from 'kysely';

/** One reservation asked for: the worst case of a call, and how long a crashed worker's hold lasts. */
export interface ReserveRequest {
  tenantId: string;
  amountUsd: number;
  taskId: string | null;
  ttlMs: number;
  /** The call's action and its calls allowed per period by plan, when some plan limits it (see reserve-limited-batch.ts). */
  limit?: { action: string; perPlan: Partial<Record<Plan, number>> };
}

// Reserves for many calls of one tenant in one statement: it locks the tenant's budget row of
// the current period (periods by Postgres' clock) once, grants the requests that fit under the
// cap smallest first (a running sum in ascending order of amount, then of arrival), adds them
// to reserved_usd and inserts their reservations. Smallest first is one serial order of the
// requests, in which a refused request did not fit once the smaller ones had been granted, so a
// batch refuses nothing that its members, reserving one by one in that order, would have been
// given. The ids are made here so the answer can pair them with the requests' positions.
// No budget row for the period yet: nothing is granted (the caller creates it and asks again).
// Run as a named prepared statement: planned once per connection. Bump the version in the name
// whenever the text changes. With `withAction`, a fifth array gives each reservation's action
// (null for none): the statement of the limited path (reserve-limited-batch.ts).
function reserveStatement(withAction: boolean): string {
  const action = (text: string) => (withAction ? text : '');
  return `
with req as (
  select r.i, r.amount, r.task_id, r.ttl_ms,${action(' r.action,')} gen_random_uuid() as id
    from unnest($2::numeric[], $3::uuid[], $4::bigint[]${action(', $5::text[]')}) with ordinality as r(amount, task_id, ttl_ms,${action(' action,')} i)
), budget as (
  select tb.tenant_id, tb.period_start, tb.cap_usd - tb.spent_usd - tb.reserved_usd as room
    from tenant_budgets tb join tenants t on t.id = tb.tenant_id
   where tb.tenant_id = $1 and tb.period_start = conveyor_period_start(t.billing_anchor, now())
     for update of tb
), granted as (
  select q.i, q.id, q.amount, q.task_id, q.ttl_ms,${action(' q.action,')} budget.tenant_id, budget.period_start
    from budget, (select req.*, sum(req.amount) over (order by req.amount, req.i) as running from req) q
   where q.running <= budget.room
), held as (
  update tenant_budgets tb set reserved_usd = tb.reserved_usd + (select sum(amount) from granted)
    from budget
   where tb.tenant_id = budget.tenant_id and tb.period_start = budget.period_start and exists (select from granted)
), inserted as (
  insert into budget_reservations (id, tenant_id, period_start, task_id, amount_usd, expires_at${action(', action_type')})
  select id, tenant_id, period_start, task_id, amount, now() + ttl_ms * interval '1 millisecond'${action(', action')} from granted
)
select i::int as i, id from granted`;
}
const RESERVE = reserveStatement(false);
export const RESERVE_WITH_ACTION = reserveStatement(true);

/**
 * Reserves for requests of one tenant in one statement and one commit; answers each with its
 * reservation's id, or undefined when it did not fit (or the period has no budget row yet).
 */
export async function reserveBatch(db: Kysely<Database>, requests: ReserveRequest[]): Promise<(string | undefined)[]> {
  const tenantId = requests[0]?.tenantId;
  if (tenantId === undefined) return [];
  if (requests.some((r) => r.tenantId !== tenantId)) throw new Error('reserveBatch takes the requests of one tenant');
  const rows = await runPrepared<{ i: number; id: string }>(db, 'conveyor_reserve_budget_v1', RESERVE, [
    tenantId,
    requests.map((r) => r.amountUsd),
    requests.map((r) => r.taskId),
    requests.map((r) => r.ttlMs),
  ]);
  const ids: (string | undefined)[] = requests.map(() => undefined);
  for (const row of rows) ids[row.i - 1] = row.id;
  return ids;
}
