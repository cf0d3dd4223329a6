import type { TaskPolicies } from '@conveyor/contracts';
import { type Database, fireScheduleBatch } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { TaskProducer } from '@conveyor/queue';
import type { Kysely } from 'kysely';
import { Counter, Histogram, type Registry } from 'prom-client';
import { startLoop } from './loop';
import { planBatch } from './plan-batch';

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
    const plan = planBatch({ policies: deps.policies, logger: deps.logger, budgetMs: deps.planBudgetMs ?? 100 }, due);
    overPlan = plan.overPlan;
    return plan;
  });

  if (created.length) {
    // Fired together, enqueued together: envelopes of up to 50 tasks (a prioritised task keeps its own job).
    await deps.producer.enqueueTogether(created.map((t) => ({ id: t.id, task: t.task, queue: t.queue, priority: t.priority }))).catch((error: unknown) => {
      deps.logger.warn('schedule fires committed but not enqueued; the reconciler will enqueue them', { count: created.length, error });
    });
  }
  if (claimed) endTimer?.();
  deps.metrics?.fires.inc(created.length);
  if (overPlan) deps.metrics?.overPlan.inc(overPlan);
  return { schedules: planned, fired: created.length, more: claimed === limit || planned < claimed };
}

/**
 * Runs the tick every intervalMs. A full batch means a backlog: then `parallel` batches run
 * at once (default 3), each claiming its own rows (SKIP LOCKED, as replicas do), until none
 * is full, so one batch's planning and enqueue overlap another's statements in Postgres. A
 * quiet tick stays one claim. Returns stop(), which waits for the batches in progress.
 */
export function startTicker(deps: TickDeps & { parallel?: number }, intervalMs: number, onError: (error: unknown) => void): () => Promise<void> {
  let stopping = false;
  const drain = async () => {
    let report: TickReport;
    do report = await fireDueSchedules(deps);
    while (!stopping && report.more);
  };
  const stop = startLoop(
    async () => {
      try {
        const first = await fireDueSchedules(deps);
        if (stopping || !first.more) return;
        const results = await Promise.allSettled(Array.from({ length: deps.parallel ?? 3 }, drain));
        const failed = results.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
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
