import type { Database, Plan } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import { type Kysely, sql } from 'kysely';
import { Counter, type Registry } from 'prom-client';
import { ALERT_THRESHOLDS_PCT, PLAN_CAPS_USD } from './plans';

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

export interface UsageSummary {
  plan: Plan;
  period_start: string;
  period_end: string;
  cap_usd: number;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
  by_action: { action_type: string; calls: number; cost_usd: number }[];
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

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    registry?: Registry,
    private readonly caps: Record<Plan, number> = PLAN_CAPS_USD,
  ) {
    this.crossings = new Counter({
      name: 'conveyor_budget_threshold_crossings_total',
      help: 'Tenants crossing 50/80/100 % of their plan cap (once per period each)',
      labelNames: ['threshold'],
      registers: registry ? [registry] : [],
    });
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
    return row ? { id: row.id, tenantId, amountUsd } : undefined;
  }

  /**
   * Records the call's actual cost, frees what was reserved beyond it, and logs threshold
   * crossings: one statement, which locks the reservation, closes it, moves the budget and
   * files the usage row. An expired reservation no longer counts in reserved_usd, but the
   * money was spent all the same, so it still counts in spent_usd.
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
     returning tb.spent_usd, tb.cap_usd, tb.alerted_pct
      ), u as (
        insert into usage_tracking (tenant_id, task_id, action_type, campaign_id, model_used, prompt_tokens, completion_tokens, cost_usd, generation_id, attempt)
        select r.tenant_id, ${usage.taskId ?? null}::uuid, ${usage.actionType}, ${usage.campaignId ?? null}, ${usage.modelUsed},
               ${usage.promptTokens}::int, ${usage.completionTokens}::int, ${usage.costUsd}::numeric, ${usage.generationId ?? null},
               coalesce(${usage.attempt ?? null}::int, (select attempt from tasks where id = ${usage.taskId ?? null}::uuid))
          from r
      )
      select o.status as old_status, t.spent_usd, t.cap_usd, t.alerted_pct from o left join t on true`.execute(this.db);
    const row = rows[0];
    if (!row) throw new Error(`reservation ${reservation.id} does not exist`);
    if (row.old_status !== 'held' && row.old_status !== 'expired') throw new Error(`reservation ${reservation.id} was already ${row.old_status}`);
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

  /** Spend this billing period: total, by action, reserved, remaining, cap. */
  async usage(tenantId: string): Promise<UsageSummary> {
    await this.ensurePeriod(tenantId);
    const budget = await sql<{ plan: Plan; period_start: Date; period_end: Date; cap_usd: string; spent_usd: string; reserved_usd: string }>`
      select t.plan, tb.period_start, tb.period_start + interval '1 month' as period_end, tb.cap_usd, tb.spent_usd, tb.reserved_usd
        from tenant_budgets tb join tenants t on t.id = tb.tenant_id
       where tb.tenant_id = ${tenantId} and tb.period_start = ${periodOf}`.execute(this.db);
    const b = budget.rows[0]!;
    const byAction = await this.db
      .selectFrom('usage_tracking')
      .select(['action_type', sql<number>`count(*)::int`.as('calls'), sql<string>`sum(cost_usd)`.as('cost_usd')])
      .where('tenant_id', '=', tenantId)
      .where('created_at', '>=', b.period_start)
      .groupBy('action_type')
      .orderBy('action_type')
      .execute();
    const [cap, spent, reserved] = [Number(b.cap_usd), Number(b.spent_usd), Number(b.reserved_usd)];
    return {
      plan: b.plan,
      period_start: b.period_start.toISOString(),
      period_end: b.period_end.toISOString(),
      cap_usd: cap,
      spent_usd: spent,
      reserved_usd: reserved,
      remaining_usd: Math.max(0, cap - spent - reserved),
      by_action: byAction.map((a) => ({ action_type: a.action_type, calls: a.calls, cost_usd: Number(a.cost_usd) })),
    };
  }
}
