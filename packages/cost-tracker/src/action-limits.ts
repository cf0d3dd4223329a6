import type { Plan } from '@conveyor/db';
import type { ActionLimitRefusal } from './reserve-limited-batch';
import type { ReserveRequest } from './reserve-batch';

/** PLAN_ACTION_LIMITS as the config gives it: plan → action (task name) → calls allowed per billing period. */
export type PlanActionLimits = Partial<Record<Plan, Partial<Record<string, number>>>>;

/** The limits turned round, action → its limit by plan: what a reservation looks up by its action. */
export function limitsByAction(limits: PlanActionLimits): Map<string, ReserveRequest['limit']> {
  const byAction = new Map<string, NonNullable<ReserveRequest['limit']>>();
  for (const [plan, actions] of Object.entries(limits) as [Plan, Partial<Record<string, number>>][]) {
    for (const [action, calls] of Object.entries(actions)) {
      if (calls === undefined) continue;
      const entry = byAction.get(action) ?? { action, perPlan: {} };
      entry.perPlan[plan] = calls;
      byAction.set(action, entry);
    }
  }
  return byAction;
}

/** The sentence a refused call and GET /usage/check show: "plan trial allows 100 generate_draft calls per billing period; 100 used". */
export function limitMessage(refusal: ActionLimitRefusal): string {
  return `plan ${refusal.plan} allows ${refusal.limit} ${refusal.action} calls per billing period; ${refusal.used} used`;
}

/** A reservation refused because the plan's per-action limit is used up this period. */
export class ActionLimitReachedError extends Error {
  override name = 'ActionLimitReachedError';
  constructor(readonly refusal: ActionLimitRefusal) {
    super(limitMessage(refusal));
  }
}
