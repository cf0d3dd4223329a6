import type { UsageGroupBy, UsagePeriodsView, UsageView } from '@conveyor/contracts';
import type { Database, Plan } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import { type Kysely, sql } from 'kysely';
import { Counter, type Registry } from 'prom-client';
import { type PeriodChoice, resolvePeriod } from './billing-periods';
import { ALERT_THRESHOLDS_PCT, PLAN_CAPS_USD } from './plans';
import { listPeriods, periodUsage } from './usage-report';

export interface Reservation {
  id: string;
  tenantId: string;
  amountUsd: number;
}

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

const periodOf = sql`conveyor_period_start(t.billing_anchor, now())`;

/**
 * Budgets that cannot be overspent: before an LLM call, reserve() adds the worst-case cost to
 * the tenant's reserved amount with one conditional UPDATE (spent + reserved + amount ≤ cap),
 * so concurrent reservations serialise on the budget row and never pass the cap together.
 * settle() moves the actual cost to spent and frees the rest; release() frees it all;
 * expireStale() frees reservations whose worker died. Periods come from Postgres' clock.
 */
export class CostTracker {
  private readonly crossings: Counter<'threshold'>;
  private readonly refusals: Counter;
  private readonly spend: Counter<'action' | 'model'>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    registry?: Registry,
    private readonly caps: Record<Plan, number> = PLAN_CAPS_USD,
  ) {
    // Shared by the trackers of one registry (an app may build more than one).
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
      (registry?.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: registry ? [registry] : [] });
    this.crossings = counter('conveyor_budget_threshold_crossings_total', 'Tenants crossing 50/80/100 % of their plan cap (once per period each)', [
      'threshold',
    ]);
    this.refusals = counter(
      'conveyor_budget_refusals_total',
      "Reservations refused because they did not fit under the tenant's plan cap (the call was not made)",
      [],
    );
    this.spend = counter('conveyor_llm_spend_usd_total', 'Actual cost of settled LLM calls in USD, by action (task) and model', ['action', 'model']);
  }

  /** Makes sure the tenant's budget row for the current period exists. */
  private async ensurePeriod(tenantId: string): Promise<void> {
    await sql`
      insert into tenant_budgets (tenant_id, period_start, cap_usd)
      select t.id, ${periodOf}, case t.plan when 'trial' then ${this.caps.trial}::numeric when 'starter' then ${this.caps.starter}::numeric else ${this.caps.growth}::numeric end
        from tenants t where t.id = ${tenantId}
      on conflict do nothing`.execute(this.db);
  }

  /** Reserves amountUsd, or returns undefined when it does not fit under the cap. */
  async reserve(tenantId: string, amountUsd: number, options: { taskId?: string; ttlMs: number }): Promise<Reservation | undefined> {
    const attempt = async () => {
      const { rows } = await sql<{ id: string }>`
        with b as (
          update tenant_budgets tb set reserved_usd = tb.reserved_usd + ${amountUsd}::numeric
            from tenants t
           where tb.tenant_id = ${tenantId} and t.id = tb.tenant_id and tb.period_start = ${periodOf}
             and tb.spent_usd + tb.reserved_usd + ${amountUsd}::numeric <= tb.cap_usd
       returning tb.tenant_id, tb.period_start
        )
        insert into budget_reservations (tenant_id, period_start, task_id, amount_usd, expires_at)
        select tenant_id, period_start, ${options.taskId ?? null}::uuid, ${amountUsd}::numeric, now() + ${options.ttlMs} * interval '1 millisecond' from b
        returning id`.execute(this.db);
      return rows[0];
    };
    // The common case is one statement; the period's first call, or a full budget, costs more.
    let row = await attempt();
    if (!row) {
      await this.ensurePeriod(tenantId);
      row = await attempt();
    }
    // Still refused: reservations of crashed workers may be holding budget; free them and look again.
    if (!row && (await this.expireStale(tenantId)) > 0) row = await attempt();
    if (!row) {
      this.refusals.inc();
      return undefined;
    }
    return { id: row.id, tenantId, amountUsd };
  }

  /**
   * Records the call's actual cost, frees what was reserved beyond it, and logs threshold
   * crossings: one statement, which locks the reservation, closes it, moves the budget, files
   * the usage row under the reservation's period, and records a budget alert delivery for each
   * of the tenant's alert thresholds the spend has reached (once per period and threshold: a
   * unique key, so concurrent settles in any number of processes record it once). An expired
   * reservation no longer counts in reserved_usd, but the money was spent all the same, so it
   * still counts in spent_usd.
   */
  async settle(reservation: Reservation, usage: UsageRecord): Promise<void> {
    const { rows } = await sql<{ old_status: string; spent_usd: string | null; cap_usd: string | null; alerted_pct: number | null }>`
      with o as (
        select id, status, amount_usd, tenant_id, period_start from budget_reservations where id = ${reservation.id} for update
      ), r as (
        update budget_reservations b set status = 'settled' from o
         where b.id = o.id and o.status in ('held', 'expired')
     returning o.status as old_status, o.amount_usd, o.tenant_id, o.period_start
      ), t as (
        update tenant_budgets tb
           set spent_usd = tb.spent_usd + ${usage.costUsd}::numeric,
               reserved_usd = greatest(0, tb.reserved_usd - case when r.old_status = 'held' then r.amount_usd else 0 end)
          from r where tb.tenant_id = r.tenant_id and tb.period_start = r.period_start
     returning tb.tenant_id, tb.period_start, tb.spent_usd, tb.cap_usd, tb.alerted_pct
      ), u as (
        insert into usage_tracking (tenant_id, task_id, action_type, campaign_id, model_used, prompt_tokens, completion_tokens, cost_usd, generation_id, period_start, attempt)
        select r.tenant_id, ${usage.taskId ?? null}::uuid, ${usage.actionType}, ${usage.campaignId ?? null}, ${usage.modelUsed},
               ${usage.promptTokens}::int, ${usage.completionTokens}::int, ${usage.costUsd}::numeric, ${usage.generationId ?? null}, r.period_start,
               coalesce(${usage.attempt ?? null}::int, (select attempt from tasks where id = ${usage.taskId ?? null}::uuid))
          from r
      ), d as (
        insert into budget_alert_deliveries (tenant_id, period_start, threshold, cap_usd, spent_usd)
        select t.tenant_id, t.period_start, th, t.cap_usd, t.spent_usd
          from t join budget_alerts a on a.tenant_id = t.tenant_id cross join unnest(a.thresholds) th
         where t.spent_usd * 100 >= t.cap_usd * th
        on conflict (tenant_id, period_start, threshold) do nothing
      )
      select o.status as old_status, t.spent_usd, t.cap_usd, t.alerted_pct from o left join t on true`.execute(this.db);
    const row = rows[0];
    if (!row) throw new Error(`reservation ${reservation.id} does not exist`);
    if (row.old_status !== 'held' && row.old_status !== 'expired') throw new Error(`reservation ${reservation.id} was already ${row.old_status}`);
    this.spend.inc({ action: usage.actionType, model: usage.modelUsed }, usage.costUsd);
    if (row.spent_usd !== null && row.cap_usd !== null) {
      await this.noteThresholds(reservation, { spent_usd: row.spent_usd, cap_usd: row.cap_usd, alerted_pct: row.alerted_pct ?? 0 });
    }
  }

  /** Frees a reservation whose call did not happen or cost nothing. */
  async release(reservation: Reservation): Promise<void> {
    await sql`
      with r as (
        update budget_reservations set status = 'released' where id = ${reservation.id} and status = 'held' returning tenant_id, period_start, amount_usd
      )
      update tenant_budgets tb set reserved_usd = greatest(0, tb.reserved_usd - r.amount_usd)
        from r where tb.tenant_id = r.tenant_id and tb.period_start = r.period_start`.execute(this.db);
  }

  /** Frees reservations past their expiry (their worker crashed); returns how many. */
  async expireStale(tenantId?: string): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      with r as (
        update budget_reservations set status = 'expired'
         where status = 'held' and expires_at < now() ${tenantId ? sql`and tenant_id = ${tenantId}` : sql``}
     returning tenant_id, period_start, amount_usd
      ), s as (
        select tenant_id, period_start, sum(amount_usd) as amount, count(*) as n from r group by tenant_id, period_start
      ), u as (
        update tenant_budgets tb set reserved_usd = greatest(0, tb.reserved_usd - s.amount)
          from s where tb.tenant_id = s.tenant_id and tb.period_start = s.period_start
      )
      select coalesce(sum(n), 0)::int as n from s`.execute(this.db);
    return rows[0]?.n ?? 0;
  }

  private async noteThresholds(reservation: Reservation, budget: { spent_usd: string; cap_usd: string; alerted_pct: number }): Promise<void> {
    const tenantId = reservation.tenantId;
    const pct = (Number(budget.spent_usd) / Number(budget.cap_usd)) * 100;
    const crossed = ALERT_THRESHOLDS_PCT.filter((t) => pct >= t && t > budget.alerted_pct);
    const highest = crossed[crossed.length - 1];
    if (highest === undefined) return;
    // Compare-and-set, so that of several concurrent settles only one reports a crossing.
    const result = await sql`
      update tenant_budgets tb set alerted_pct = ${highest}
        from budget_reservations r
       where r.id = ${reservation.id} and tb.tenant_id = r.tenant_id and tb.period_start = r.period_start and tb.alerted_pct < ${highest}`.execute(this.db);
    if (!result.numAffectedRows) return;
    for (const threshold of crossed) {
      this.crossings.inc({ threshold: String(threshold) });
      this.logger.warn('tenant crossed a budget threshold', {
        tenant_id: tenantId,
        threshold_pct: threshold,
        spent_usd: Number(budget.spent_usd),
        cap_usd: Number(budget.cap_usd),
      });
    }
  }

  /**
   * One billing period's spend (the current one unless `period` names another): total, by
   * action, reserved, remaining, cap, and with `groupBy` the usage grouped with token counts.
   * Throws UnknownPeriodError when `period` is not one of the tenant's.
   */
  async usage(tenantId: string, options: { period?: PeriodChoice; groupBy?: UsageGroupBy } = {}): Promise<UsageView> {
    await this.ensurePeriod(tenantId);
    const period = await resolvePeriod(this.db, tenantId, options.period ?? 'current');
    return periodUsage(this.db, tenantId, period, { groupBy: options.groupBy, planCap: (plan) => this.caps[plan] });
  }

  /** The tenant's billing periods with spend or usage (the current one always), newest first. */
  async periods(tenantId: string): Promise<UsagePeriodsView> {
    await this.ensurePeriod(tenantId);
    return listPeriods(this.db, tenantId);
  }
}
