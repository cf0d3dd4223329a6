import type { UsageCheckView, UsageGroupBy, UsagePeriodsView, UsageView } from '@conveyor/contracts';
import { type Database, PartitionedGroupCommit, type Plan } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import { type Kysely, sql } from 'kysely';
import { Counter, type Registry } from 'prom-client';
import { type PeriodChoice, resolvePeriod } from './billing-periods';
import { ALERT_THRESHOLDS_PCT, PLAN_CAPS_USD } from './plans';
import { ActionLimitReachedError, type PlanActionLimits, limitsByAction } from './action-limits';
import { type ReserveRequest, reserveBatch } from './reserve-batch';
import { type ReserveAnswer, reserveLimitedBatch } from './reserve-limited-batch';
import { type SettleAnswer, type SettleRequest, type UsageRecord, settleBatch } from './settle-batch';
import { checkCall } from './usage-check';
import { type UsedUpLimit, findUsedUpLimit } from './used-up-limit';
import { listPeriods, periodUsage } from './usage-report';

export interface Reservation {
  id: string;
  tenantId: string;
  amountUsd: number;
}

export type { UsageRecord } from './settle-batch';

const periodOf = sql`conveyor_period_start(t.billing_anchor, now())`;

/**
 * Budgets that cannot be overspent: before an LLM call, reserve() adds the worst-case cost to
 * the tenant's reserved amount under a lock of the tenant's budget row (spent + reserved +
 * amount ≤ cap), so concurrent reservations never pass the cap together. settle() moves the
 * actual cost to spent and frees the rest; release() frees it all; expireStale() frees
 * reservations whose worker died. Periods come from Postgres' clock.
 *
 * Reserves and settles that a process makes for one tenant at the same time are written
 * together (a group commit per tenant: one statement and one commit for all that arrived
 * while the previous one ran), so concurrent calls of a tenant take the budget row's lock
 * once per batch instead of queueing for it one by one; other processes' statements take
 * turns with them on the same lock.
 *
 * Per-action limits (`actionLimits`, PLAN_ACTION_LIMITS: plan → action → calls per period) are
 * enforced by the same reservation: a call of a limited action counts its action's settled and
 * held calls under the budget row's lock, so no two reservations take the last allowed call.
 * A reservation of an action no plan limits runs the one statement as before.
 */
export class CostTracker {
  private readonly crossings: Counter<'threshold'>;
  private readonly refusals: Counter;
  private readonly spend: Counter<'action' | 'model'>;
  private readonly reserves: PartitionedGroupCommit<ReserveRequest, ReserveAnswer>;
  private readonly limits: Map<string, ReserveRequest['limit']>;
  private readonly settles: PartitionedGroupCommit<SettleRequest & { tenantId: string }, SettleAnswer>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    registry?: Registry,
    private readonly caps: Record<Plan, number> = PLAN_CAPS_USD,
    actionLimits: PlanActionLimits = {},
  ) {
    this.limits = limitsByAction(actionLimits);
    // Shared by the trackers of one registry (an app may build more than one).
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
      (registry?.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: registry ? [registry] : [] });
    this.crossings = counter('conveyor_budget_threshold_crossings_total', 'Tenants crossing 50/80/100 % of their plan cap (once per period each)', [
      'threshold',
    ]);
    this.refusals = counter(
      'conveyor_budget_refusals_total',
      "Reservations refused because they did not fit under the tenant's plan cap, or were past its plan's per-action limit (the call was not made)",
      [],
    );
    this.spend = counter('conveyor_llm_spend_usd_total', 'Actual cost of settled LLM calls in USD, by action (task) and model', ['action', 'model']);
    this.reserves = new PartitionedGroupCommit<ReserveRequest, ReserveAnswer>({
      partition: (r) => r.tenantId,
      write: (requests) => (requests.some((r) => r.limit) ? reserveLimitedBatch(this.db, requests) : reserveBatch(this.db, requests)),
    });
    this.settles = new PartitionedGroupCommit({
      partition: (r) => r.tenantId,
      // A reservation settled twice at once: the second waits for the next statement, which refuses it.
      key: (r) => r.reservationId,
      write: (requests) => this.writeSettles(requests),
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

  /**
   * Reserves amountUsd, or returns undefined when it does not fit under the cap. `action` (the
   * task's name) counts the call against its plan's per-action limit, if one is set: past it,
   * throws ActionLimitReachedError naming the limit.
   */
  async reserve(tenantId: string, amountUsd: number, options: { taskId?: string; ttlMs: number; action?: string }): Promise<Reservation | undefined> {
    const request: ReserveRequest = { tenantId, amountUsd, taskId: options.taskId ?? null, ttlMs: options.ttlMs };
    if (this.limits.size && options.action !== undefined) request.limit = this.limits.get(options.action);
    // The common case is one statement, shared with the tenant's concurrent reservations; the
    // period's first call, or a full budget, costs more.
    let answer = await this.reserves.submit(request);
    if (answer === undefined) {
      await this.ensurePeriod(tenantId);
      answer = await this.reserves.submit(request);
    }
    // Still refused: reservations of crashed workers may be holding budget (or calls); free them and look again.
    if (typeof answer !== 'string' && (await this.expireStale(tenantId)) > 0) answer = await this.reserves.submit(request);
    if (typeof answer === 'string') return { id: answer, tenantId, amountUsd };
    this.refusals.inc();
    if (answer) throw new ActionLimitReachedError(answer);
    return undefined;
  }

  /**
   * Records the call's actual cost, frees what was reserved beyond it, files the usage row
   * under the reservation's period and records the budget alert deliveries the spend has
   * reached: one statement for the tenant's settles that arrive together (see settleBatch).
   * An expired reservation no longer counts in reserved_usd, but the money was spent all the
   * same, so it still counts in spent_usd.
   */
  async settle(reservation: Reservation, usage: UsageRecord): Promise<void> {
    const answer = await this.settles.submit({ tenantId: reservation.tenantId, reservationId: reservation.id, usage });
    if (answer.oldStatus === undefined) throw new Error(`reservation ${reservation.id} does not exist`);
    if (answer.oldStatus !== 'held' && answer.oldStatus !== 'expired') throw new Error(`reservation ${reservation.id} was already ${answer.oldStatus}`);
    this.spend.inc({ action: usage.actionType, model: usage.modelUsed }, usage.costUsd);
  }

  /** Writes a batch of settles, then logs and counts the thresholds it crossed, once per budget row. */
  private async writeSettles(requests: SettleRequest[]): Promise<SettleAnswer[]> {
    const answers = await settleBatch(this.db, requests, ALERT_THRESHOLDS_PCT);
    const logged = new Set<string>();
    for (const { budget } of answers) {
      if (!budget || budget.alertedPctAfter <= budget.alertedPctBefore) continue;
      const key = `${budget.tenantId} ${budget.periodStart}`;
      if (logged.has(key)) continue;
      logged.add(key);
      for (const threshold of ALERT_THRESHOLDS_PCT.filter((t) => t > budget.alertedPctBefore && t <= budget.alertedPctAfter)) {
        this.crossings.inc({ threshold: String(threshold) });
        this.logger.warn('tenant crossed a budget threshold', {
          tenant_id: budget.tenantId,
          threshold_pct: threshold,
          spent_usd: budget.spentUsd,
          cap_usd: budget.capUsd,
        });
      }
    }
    return answers;
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

  /**
   * Whether one more call of `action` at `worstCaseUsd` fits the current period: the room under
   * the cap, how many such calls fit, and the plan's per-action limit when it has one.
   */
  async check(tenantId: string, action: string, worstCaseUsd: number): Promise<UsageCheckView> {
    await this.ensurePeriod(tenantId);
    return checkCall(this.db, tenantId, { action, worstCaseUsd, perPlan: this.limits.get(action)?.perPlan });
  }

  /**
   * The first of these actions (task names) whose per-action limit the tenant's plan has used up
   * this period, or undefined; no query at all when no plan limits any of them. Reservations of
   * crashed workers are freed before a refusal is believed, as reserve() does.
   */
  async usedUpLimit(tenantId: string, actions: readonly string[]): Promise<UsedUpLimit | undefined> {
    if (!this.limits.size) return undefined;
    const limits = [...new Set(actions)].flatMap((action) => this.limits.get(action) ?? []);
    if (!limits.length) return undefined;
    const found = await findUsedUpLimit(this.db, tenantId, limits);
    if (found && (await this.expireStale(tenantId)) > 0) return findUsedUpLimit(this.db, tenantId, limits);
    return found;
  }

  /** The tenant's billing periods with spend or usage (the current one always), newest first. */
  async periods(tenantId: string): Promise<UsagePeriodsView> {
    await this.ensurePeriod(tenantId);
    return listPeriods(this.db, tenantId);
  }
}
