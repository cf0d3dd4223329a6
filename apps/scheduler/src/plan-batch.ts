import { type TaskPolicies, isTaskName } from '@conveyor/contracts';
import { type DueSchedule, type PlannedFires, type ScheduleFire, type ScheduleAdvance, taskRow } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import { type FirePlan, FirePlanner, MIN_INTERVAL_SECONDS, type MisfirePolicy, keepPlanInterval, recurrenceFromFields } from '@conveyor/scheduling';

export interface PlanDeps {
  policies: TaskPolicies;
  logger: Logger;
  /** CPU time the planning of one batch may take (ms); past it the rest stay due, unchanged. */
  budgetMs: number;
}

/**
 * The fires and next times of claimed schedules, in order, until the planning budget runs
 * out. Schedules that share a rule and a due time are planned once (FirePlanner), and the
 * queue and attempts of a task name are taken from taskRow once per batch.
 */
export function planBatch(deps: PlanDeps, due: DueSchedule[]): PlannedFires & { overPlan: number } {
  const fires: ScheduleFire[] = [];
  const advances: ScheduleAdvance[] = [];
  const planner = new FirePlanner(due[0]?.db_now ?? new Date());
  const rowOf = new Map<string, { queue: string; maxAttempts: number }>();
  const startedCpu = process.cpuUsage();
  // CPU is read (a system call) only when the wall clock says the budget may be spent: the
  // planning runs on one thread, whose CPU time does not run ahead of the wall clock.
  let checkAt = performance.now() + deps.budgetMs;
  let overPlan = 0;
  for (const schedule of due) {
    const plan = planSchedule(planner, schedule, deps.logger);
    // The API refuses rules that can fire more often than the plan; rules saved before it
    // did are held to it here: a fire too close to the one before is not made.
    const kept = keepPlanInterval(plan.fires, schedule.last_run_at, MIN_INTERVAL_SECONDS[schedule.plan] ?? MIN_INTERVAL_SECONDS.trial);
    if (kept.length < plan.fires.length) {
      overPlan += plan.fires.length - kept.length;
      warnOverPlan(deps.logger, schedule);
    }
    const known = isTaskName(schedule.task);
    if (known) {
      let row = rowOf.get(schedule.task);
      if (!row && kept.length) {
        const built = taskRow(deps.policies, {
          tenantId: schedule.tenant_id,
          task: schedule.task,
          payload: null,
          fire: { scheduleId: schedule.id, plannedAt: kept[0]! },
        });
        row = { queue: built.queue, maxAttempts: built.max_attempts };
        rowOf.set(schedule.task, row);
      }
      for (const plannedAt of kept) fires.push({ scheduleId: schedule.id, plannedAt, ...row! });
    } else {
      deps.logger.error('schedule names a task no longer in the catalog; it stops', { schedule_id: schedule.id, task: schedule.task });
    }
    advances.push({ id: schedule.id, next: known ? plan.next : null, last: kept.at(-1) ?? null });
    if (performance.now() >= checkAt) {
      const used = process.cpuUsage(startedCpu);
      const leftMs = deps.budgetMs - (used.user + used.system) / 1000;
      if (leftMs < 0) break; // the rows not planned stay due, unchanged
      checkAt = performance.now() + leftMs;
    }
  }
  return { fires, advances, overPlan };
}

function planSchedule(planner: FirePlanner, schedule: DueSchedule, logger: Logger): FirePlan {
  try {
    return planner.plan(recurrenceFromFields(schedule), schedule.next_run_at!, schedule.misfire_policy as MisfirePolicy, schedule.end_at);
  } catch (error) {
    // A schedule that cannot be resolved any more (a rule saved before today's checks, or
    // one whose next time is beyond the search's bound) stops rather than blocking the tick.
    logger.error('schedule could not be resolved; it stops', { schedule_id: schedule.id, error });
    return { fires: [], next: null };
  }
}

// Schedules already warned about, so that one firing every second does not log every second.
const warnedOverPlan = new Set<string>();

function warnOverPlan(logger: Logger, schedule: DueSchedule) {
  if (warnedOverPlan.has(schedule.id)) return;
  if (warnedOverPlan.size >= 10_000) warnedOverPlan.clear();
  warnedOverPlan.add(schedule.id);
  logger.warn("schedule fires more often than its tenant's plan allows; fires too close together are not made", {
    schedule_id: schedule.id,
    tenant_id: schedule.tenant_id,
    plan: schedule.plan,
    min_interval_s: MIN_INTERVAL_SECONDS[schedule.plan],
  });
}
