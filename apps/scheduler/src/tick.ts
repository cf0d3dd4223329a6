import { type TaskPolicies, isTaskName } from '@conveyor/contracts';
import { type Database, type DueSchedule, type PlannedFires, type ScheduleAdvance, type TaskInsert, fireScheduleBatch, taskRow } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { TaskProducer } from '@conveyor/queue';
import { type FirePlan, MIN_INTERVAL_SECONDS, type MisfirePolicy, keepPlanInterval, planFires, recurrenceFromFields } from '@conveyor/scheduling';
import type { Kysely } from 'kysely';
import { Counter, Histogram, type Registry } from 'prom-client';
import { startLoop } from './loop';

export interface TickDeps {
  db: Kysely<Database>;
  producer: TaskProducer;
  policies: TaskPolicies;
  logger: Logger;
  /** Schedules claimed per transaction. */
  batchSize?: number;
  /**
   * CPU time the planning of one batch may take while its rows are locked (default 100 ms).
   * Past it the rest of the claimed rows are released unchanged, and the next batch, which
   * follows at once, takes them: an expensive batch never holds locks or the loop for long.
   */
  planBudgetMs?: number;
  metrics?: TickMetrics;
}

/** The tick's metrics: fires created and the time each batch takes. */
export function createTickMetrics(registry: Registry) {
  return {
    fires: new Counter({ name: 'conveyor_schedule_fires_total', help: 'Tasks created by schedule fires', registers: [registry] }),
    overPlan: new Counter({
      name: 'conveyor_schedule_fires_over_plan_total',
      help: "Fires not made because they came closer than the tenant's plan allows",
      registers: [registry],
    }),
    batch: new Histogram({
      name: 'conveyor_scheduler_tick_batch_seconds',
      help: 'Time of one tick batch (claim, insert, advance, commit, enqueue)',
      buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10],
      registers: [registry],
    }),
  };
}
type TickMetrics = ReturnType<typeof createTickMetrics>;

export interface TickReport {
  /** Due schedules this pass planned and advanced. */
  schedules: number;
  /** Tasks it created (one per fire). */
  fired: number;
  /** More may be due now: the batch was full, or its planning budget ran out. */
  more: boolean;
}

/**
 * One batch of the tick: packages/db claims due schedules (FOR UPDATE SKIP LOCKED, so replicas
 * never claim the same one), and while they are locked this plans their fires and next times;
 * db inserts one task per fire under the unique (schedule_id, planned_at), advances them and
 * commits. Then the new tasks are enqueued. A crash after the commit and before the enqueue
 * leaves PENDING tasks with no job, which the reconciler enqueues: no fire lost or doubled.
 * Planning runs inside the transaction: it is bounded per schedule (packages/scheduling caps
 * every step) and per batch (planBudgetMs); docs/decisions.md says why it stays there.
 */
export async function fireDueSchedules(deps: TickDeps): Promise<TickReport> {
  const limit = deps.batchSize ?? 500;
  const endTimer = deps.metrics?.batch.startTimer();
  let overPlan = 0;
  const { claimed, planned, created } = await fireScheduleBatch(deps.db, limit, (due) => {
    const plan = planBatch(deps, due);
    overPlan = plan.overPlan;
    return plan;
  });

  if (created.length) {
    await deps.producer.enqueueMany(created.map((t) => ({ id: t.id, task: t.task, queue: t.queue, priority: t.priority }))).catch((error: unknown) => {
      deps.logger.warn('schedule fires committed but not enqueued; the reconciler will enqueue them', { count: created.length, error });
    });
  }
  if (claimed) endTimer?.();
  deps.metrics?.fires.inc(created.length);
  if (overPlan) deps.metrics?.overPlan.inc(overPlan);
  return { schedules: planned, fired: created.length, more: claimed === limit || planned < claimed };
}

/** The fires and next times of claimed schedules, in order, until the planning budget runs out. */
function planBatch(deps: TickDeps, due: DueSchedule[]): PlannedFires & { overPlan: number } {
  const budgetMs = deps.planBudgetMs ?? 100;
  const fires: TaskInsert[] = [];
  const advances: ScheduleAdvance[] = [];
  const started = process.cpuUsage();
  let overPlan = 0;
  for (const schedule of due) {
    const plan = planSchedule(schedule, deps.logger);
    // The API refuses rules that can fire more often than the plan; rules saved before it
    // did are held to it here: a fire too close to the one before is not made.
    const kept = keepPlanInterval(plan.fires, schedule.last_run_at, MIN_INTERVAL_SECONDS[schedule.plan] ?? MIN_INTERVAL_SECONDS.trial);
    if (kept.length < plan.fires.length) {
      overPlan += plan.fires.length - kept.length;
      warnOverPlan(deps.logger, schedule);
    }
    const known = isTaskName(schedule.task);
    if (known) {
      for (const plannedAt of kept) {
        fires.push(
          taskRow(deps.policies, {
            tenantId: schedule.tenant_id,
            task: schedule.task,
            payload: schedule.payload,
            fire: { scheduleId: schedule.id, plannedAt },
          }),
        );
      }
    } else {
      deps.logger.error('schedule names a task no longer in the catalog; it stops', { schedule_id: schedule.id, task: schedule.task });
    }
    advances.push({ id: schedule.id, next: known ? plan.next : null, last: kept.at(-1) ?? null });
    const used = process.cpuUsage(started);
    if ((used.user + used.system) / 1000 > budgetMs) break; // the rows not planned stay due, unchanged
  }
  return { fires, advances, overPlan };
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

function planSchedule(schedule: DueSchedule, logger: Logger): FirePlan {
  try {
    return planFires(recurrenceFromFields(schedule), schedule.next_run_at!, schedule.db_now, schedule.misfire_policy as MisfirePolicy, schedule.end_at);
  } catch (error) {
    // A schedule that cannot be resolved any more (a rule saved before today's checks, or
    // one whose next time is beyond the search's bound) stops rather than blocking the tick.
    logger.error('schedule could not be resolved; it stops', { schedule_id: schedule.id, error });
    return { fires: [], next: null };
  }
}

/**
 * Runs the tick every intervalMs; a full batch is followed at once by the next, so a
 * backlog drains without waiting. Returns stop(), which waits for the batch in progress.
 */
export function startTicker(deps: TickDeps, intervalMs: number, onError: (error: unknown) => void): () => Promise<void> {
  let stopping = false;
  const stop = startLoop(
    async () => {
      try {
        let report: TickReport;
        do report = await fireDueSchedules(deps);
        while (!stopping && report.more);
      } catch (error) {
        onError(error);
      }
    },
    intervalMs,
    0,
  );
  return () => {
    stopping = true;
    return stop();
  };
}
