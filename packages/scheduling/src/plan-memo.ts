import { type FirePlan, type MisfirePolicy, planFires } from './misfire';
import type { Recurrence } from './recurrence';

/** What planFires depends on, besides `now`, as one string. */
function planKey(recurrence: Recurrence, due: Date, policy: MisfirePolicy, endAt: Date | null | undefined): string {
  const rule =
    recurrence.kind === 'one_shot'
      ? String(recurrence.runAt.getTime())
      : recurrence.kind === 'cron'
        ? `${recurrence.timezone}\n${recurrence.cron}`
        : `${recurrence.timezone}\n${recurrence.dtstart}\n${recurrence.rrule}`;
  return `${recurrence.kind}\n${due.getTime()}\n${policy}\n${endAt?.getTime() ?? ''}\n${rule}`;
}

/**
 * planFires at one `now`, remembered: schedules that share a rule, a due time, a policy and
 * an end (the hourly crons of a burst) are planned once. planFires is a pure function of
 * those, so a remembered plan is the plan; a rule that throws throws again for each. Make
 * one per batch (its `now`); the plans it returns are shared, not to be changed.
 */
export class FirePlanner {
  private readonly plans = new Map<string, FirePlan | { error: unknown }>();

  constructor(private readonly now: Date) {}

  plan(recurrence: Recurrence, due: Date, policy: MisfirePolicy, endAt?: Date | null): FirePlan {
    const key = planKey(recurrence, due, policy, endAt);
    let plan = this.plans.get(key);
    if (!plan) {
      try {
        plan = planFires(recurrence, due, this.now, policy, endAt);
      } catch (error) {
        plan = { error };
      }
      this.plans.set(key, plan);
    }
    if ('error' in plan) throw plan.error;
    return plan;
  }
}
