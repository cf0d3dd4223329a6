import type { Database, Plan } from '@conveyor/db';
import { type Kysely, sql } from 'kysely';
import type { ReserveRequest } from './reserve-batch';
import { type ActionLimitRefusal, actionCallsUsed } from './reserve-limited-batch';

/** A per-action limit the tenant has used up in its current period, and when that period ends. */
export interface UsedUpLimit extends ActionLimitRefusal {
  periodEnd: Date;
}

/**
 * The first of these limited actions whose limit the tenant's plan has used up in the current
 * period (settled and held calls, counted as the reservation counts them), or undefined. A
 * snapshot without the budget row's lock: it refuses work that cannot run now, while the
 * reservation alone keeps the limit under concurrency.
 */
export async function findUsedUpLimit(
  db: Kysely<Database>,
  tenantId: string,
  limits: NonNullable<ReserveRequest['limit']>[],
): Promise<UsedUpLimit | undefined> {
  const { rows } = await sql<{ plan: Plan; period_start: string; period_end: Date }>`
    select plan, conveyor_period_start(billing_anchor, now())::text as period_start, conveyor_period_end(billing_anchor, now()) as period_end
      from tenants where id = ${tenantId}`.execute(db);
  const tenant = rows[0];
  if (!tenant) return undefined;
  const applying = limits.filter((limit) => limit.perPlan[tenant.plan] !== undefined);
  if (!applying.length) return undefined;
  const used = await actionCallsUsed(
    db,
    tenantId,
    tenant.period_start,
    applying.map((limit) => limit.action),
  );
  for (const { action, perPlan } of applying) {
    const limit = perPlan[tenant.plan]!;
    const calls = used.get(action) ?? 0;
    if (calls >= limit) return { plan: tenant.plan, action, limit, used: calls, periodEnd: tenant.period_end };
  }
  return undefined;
}
