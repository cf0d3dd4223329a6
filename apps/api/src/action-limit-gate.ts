import { type CostTracker, limitMessage } from '@conveyor/cost-tracker';
import { HttpError } from './http-error';

/**
 * A 429 naming the limit when a task that is to run now calls a model whose per-action limit
 * (PLAN_ACTION_LIMITS) the tenant's plan has used up this period: it could only fail with
 * PLAN_LIMIT_REACHED at its first call. Retry-After is the period's end. Delayed tasks are not
 * asked about (they may run in the next period), and the reservation stays what enforces the
 * limit under concurrency.
 */
export async function refuseUsedUpLimits(costs: Pick<CostTracker, 'usedUpLimit'>, tenantId: string, tasks: readonly string[]): Promise<void> {
  if (!tasks.length) return;
  const used = await costs.usedUpLimit(tenantId, tasks);
  if (!used) return;
  const end = used.periodEnd.toISOString();
  throw new HttpError(
    429,
    'action_limit_reached',
    `${limitMessage(used)}: ${used.action} tasks that would run now are refused until this billing period ends at ${end} (GET /api/v1/usage/check?task=${used.action} says how many calls fit)`,
    undefined,
    { 'Retry-After': String(Math.max(1, Math.ceil((used.periodEnd.getTime() - Date.now()) / 1000))) },
  );
}
