import type { UsageCheckView } from '@conveyor/contracts';
import type { Database, Plan } from '@conveyor/db';
import { type Kysely, sql } from 'kysely';
import { limitMessage } from './action-limits';
import { actionCallsUsed } from './reserve-limited-batch';

/**
 * Whether one more call of `action`, reserved at `worstCaseUsd`, fits the tenant's current
 * period: the room left under the cap (cap − spent − reserved, as the reservation reckons it),
 * how many such calls it holds (in numeric, as the reservation compares), and, when the plan
 * limits the action, its calls counted as the reservation counts them. A snapshot: concurrent
 * calls may take the room before the task runs. The period's budget row must exist.
 */
export async function checkCall(
  db: Kysely<Database>,
  tenantId: string,
  input: { action: string; worstCaseUsd: number; perPlan?: Partial<Record<Plan, number>> },
): Promise<UsageCheckView> {
  const { rows } = await sql<{ plan: Plan; period_start: string; remaining: string; by_budget: number | null }>`
    select t.plan, tb.period_start::text as period_start, greatest(0, tb.cap_usd - tb.spent_usd - tb.reserved_usd) as remaining,
           case when ${input.worstCaseUsd}::numeric > 0 then floor(greatest(0, tb.cap_usd - tb.spent_usd - tb.reserved_usd) / ${input.worstCaseUsd}::numeric)::int end as by_budget
      from tenants t join tenant_budgets tb on tb.tenant_id = t.id and tb.period_start = conveyor_period_start(t.billing_anchor, now())
     where t.id = ${tenantId}`.execute(db);
  const row = rows[0];
  if (!row) throw new Error(`tenant ${tenantId} has no budget row for its current period`);
  const limit = input.perPlan?.[row.plan];
  const used = limit === undefined ? undefined : ((await actionCallsUsed(db, tenantId, row.period_start, [input.action])).get(input.action) ?? 0);
  const byLimit = limit === undefined || used === undefined ? null : Math.max(0, limit - used);
  const bounds = [row.by_budget, byLimit].filter((n): n is number => n !== null);
  const callsThatFit = bounds.length ? Math.min(...bounds) : null;
  const view: UsageCheckView = {
    task: input.action,
    fits: callsThatFit === null || callsThatFit > 0,
    worst_case_usd: input.worstCaseUsd,
    remaining_usd: Number(row.remaining),
    calls_that_fit: callsThatFit,
  };
  if (limit !== undefined && used !== undefined) view.limit = { plan: row.plan, calls_per_period: limit, used, remaining: Math.max(0, limit - used) };
  if (byLimit === 0) view.reason = limitMessage({ plan: row.plan, action: input.action, limit: limit!, used: used! });
  else if (row.by_budget === 0) {
    view.reason = `the plan's spending cap leaves $${view.remaining_usd.toFixed(4)} this period, less than one ${input.action} call may cost (up to $${input.worstCaseUsd.toFixed(4)})`;
  }
  return view;
}
