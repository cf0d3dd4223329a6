import { randomBytes } from 'node:crypto';
import type { BudgetAlertDeliveriesView, BudgetAlertView } from '@conveyor/contracts';
import type { Database } from '@conveyor/db';
import { type Kysely, sql } from 'kysely';

// A tenant's budget alert webhook and its deliveries. The deliveries are recorded by
// CostTracker.settle (in its one statement) and sent by the scheduler through claimDue and
// recordOutcome; the secret leaves this module only towards the signer and, once, PUT's answer.

/** A delivery the sender owns until its lease ends: what to send, where, and the key that signs it. */
export interface DueDelivery {
  id: string;
  tenantId: string;
  periodStart: Date;
  threshold: number;
  capUsd: number;
  spentUsd: number;
  /** This attempt's number, 1 for the first: the outcome is written only for it. */
  attempts: number;
  url: string;
  secret: string;
}

export type DeliveryOutcome = { status: 'delivered' } | { status: 'retry'; error: string; delayMs: number } | { status: 'failed'; error: string };

const DELIVERIES_SHOWN = 200;

const toView = (row: { url: string; thresholds: number[]; created_at: Date }): BudgetAlertView => ({
  url: row.url,
  thresholds: row.thresholds,
  created_at: row.created_at.toISOString(),
});

/** Sets (or replaces) the tenant's webhook with a new secret, which only this answer shows. */
export async function putBudgetAlert(
  db: Kysely<Database>,
  tenantId: string,
  input: { url: string; thresholds: number[] },
): Promise<BudgetAlertView & { secret: string }> {
  const secret = `cvw_${randomBytes(32).toString('hex')}`;
  const thresholds = [...input.thresholds].sort((a, b) => a - b);
  const row = await db
    .insertInto('budget_alerts')
    .values({ tenant_id: tenantId, url: input.url, thresholds, secret, created_at: sql<Date>`now()` })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ url: input.url, thresholds, secret, created_at: sql<Date>`now()` }))
    .returning(['url', 'thresholds', 'created_at'])
    .executeTakeFirstOrThrow();
  return { ...toView(row), secret };
}

export async function getBudgetAlert(db: Kysely<Database>, tenantId: string): Promise<BudgetAlertView | undefined> {
  const row = await db.selectFrom('budget_alerts').select(['url', 'thresholds', 'created_at']).where('tenant_id', '=', tenantId).executeTakeFirst();
  return row && toView(row);
}

/** Removes the webhook; its pending deliveries fail, since there is nowhere to send them. False when there was none. */
export async function deleteBudgetAlert(db: Kysely<Database>, tenantId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const deleted = await trx.deleteFrom('budget_alerts').where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!deleted.numDeletedRows) return false;
    await trx
      .updateTable('budget_alert_deliveries')
      .set({ status: 'failed', last_error: 'the budget alert webhook was removed before this alert was delivered' })
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'pending')
      .execute();
    return true;
  });
}

/** The tenant's deliveries, newest period first, thresholds ascending (the latest 200). */
export async function listBudgetAlertDeliveries(db: Kysely<Database>, tenantId: string): Promise<BudgetAlertDeliveriesView> {
  const rows = await db
    .selectFrom('budget_alert_deliveries')
    .select(['period_start', 'threshold', 'status', 'attempts', 'last_error', 'delivered_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('period_start', 'desc')
    .orderBy('threshold', 'asc')
    .limit(DELIVERIES_SHOWN)
    .execute();
  return {
    deliveries: rows.map((r) => ({
      period_start: r.period_start.toISOString(),
      threshold: r.threshold,
      status: r.status,
      attempts: r.attempts,
      last_error: r.last_error,
      delivered_at: r.delivered_at?.toISOString() ?? null,
    })),
  };
}

/**
 * Takes up to `limit` due deliveries for one attempt each: counts the attempt and leases the
 * row for `leaseMs` (a sender that dies is replaced when the lease ends), skipping rows another
 * sender holds. Deliveries whose tenant removed the webhook are failed on the way.
 */
export async function claimDueDeliveries(db: Kysely<Database>, options: { limit: number; leaseMs: number }): Promise<DueDelivery[]> {
  const { rows } = await sql<{
    id: string;
    tenant_id: string;
    period_start: Date;
    threshold: number;
    cap_usd: string;
    spent_usd: string;
    attempts: number;
    url: string;
    secret: string;
  }>`
    with due as (
      select d.id from budget_alert_deliveries d
       where d.status = 'pending' and d.next_attempt_at <= now()
       order by d.next_attempt_at limit ${options.limit} for update skip locked
    ), orphaned as (
      update budget_alert_deliveries d set status = 'failed', last_error = 'the budget alert webhook was removed before this alert was delivered'
        from due where d.id = due.id and not exists (select 1 from budget_alerts a where a.tenant_id = d.tenant_id)
    )
    update budget_alert_deliveries d set attempts = d.attempts + 1, next_attempt_at = now() + ${options.leaseMs} * interval '1 millisecond'
      from due, budget_alerts a
     where d.id = due.id and a.tenant_id = d.tenant_id
    returning d.id, d.tenant_id, d.period_start, d.threshold, d.cap_usd, d.spent_usd, d.attempts, a.url, a.secret`.execute(db);
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    periodStart: r.period_start,
    threshold: r.threshold,
    capUsd: Number(r.cap_usd),
    spentUsd: Number(r.spent_usd),
    attempts: r.attempts,
    url: r.url,
    secret: r.secret,
  }));
}

/** Writes an attempt's outcome, only while the row is still that attempt's (a later claim wins). */
export async function recordDeliveryOutcome(db: Kysely<Database>, delivery: Pick<DueDelivery, 'id' | 'attempts'>, outcome: DeliveryOutcome): Promise<boolean> {
  const set =
    outcome.status === 'delivered'
      ? { status: 'delivered' as const, delivered_at: sql<Date>`now()`, last_error: null }
      : outcome.status === 'retry'
        ? { last_error: outcome.error, next_attempt_at: sql<Date>`now() + ${outcome.delayMs} * interval '1 millisecond'` }
        : { status: 'failed' as const, last_error: outcome.error };
  const result = await db
    .updateTable('budget_alert_deliveries')
    .set(set)
    .where('id', '=', delivery.id)
    .where('attempts', '=', delivery.attempts)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
