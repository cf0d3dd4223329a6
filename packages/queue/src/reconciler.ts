import type { TaskPolicies } from '@conveyor/contracts';
import { type Database, type UnfinishedTask, findUnfinishedTasks } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { Kysely } from 'kysely';
import { jobStates } from './job-states';
import type { TaskProducer } from './producer';
import type { RedisClient } from './redis';

export interface ReconcilerDeps {
  db: Kysely<Database>;
  /** Any connection to the Redis the producer uses. */
  redis: RedisClient;
  producer: TaskProducer;
  policies: TaskPolicies;
  logger: Logger;
  /** Milliseconds a task must be unchanged before it is looked at. */
  graceMs: number;
  batchSize?: number;
}

export interface ReconcileReport {
  checked: number;
  /** Queued tasks whose job was gone (enqueue failed, Redis lost data): enqueued again. */
  reenqueued: number;
  /** Running tasks with no live lock, whose job was gone or past its hard limit: requeued. */
  requeuedRunning: number;
}

/**
 * One pass of the reconciler, which keeps Redis in step with Postgres (the truth):
 * - PENDING/RETRY tasks whose BullMQ job does not exist, or sits in the failed set, are
 *   enqueued again, keeping their remaining delay and priority.
 * - STARTED/PROGRESS tasks with no live lock are requeued when their job is gone or failed,
 *   or when it sits in the active list past the task's hard limit (its worker died and no
 *   stall check moved it); the next claim fences the lost attempt off (and fails the task if
 *   that attempt was its last). A job already waiting again is left where it is.
 * Re-adding uses the task id as job id, so a pass racing another pass or a worker is harmless.
 * A task in an envelope has no job of its own: the envelope's state stands for its job's
 * (see jobStates), so an enveloped task is not delivered a second time.
 */
export async function reconcileOnce(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, reenqueued: 0, requeuedRunning: 0 };
  const limit = deps.batchSize ?? 1000;
  const prefix = deps.producer.prefix;

  for await (const page of pages(deps, ['PENDING', 'RETRY'], limit)) {
    report.checked += page.length;
    const states = await jobStates(deps.redis, prefix, page);
    const lost = page.filter((_, i) => !states[i]!.exists || states[i]!.failed);
    // A failed job of its own is replaced; a failed envelope stays (it carries other tasks),
    // and this task gets a job of its own.
    for (const [i, t] of page.entries()) if (states[i]!.exists && states[i]!.failed && !states[i]!.envelope) await deps.producer.queue(t.queue).remove(t.id);
    await deps.producer.enqueueMany(lost.map((t) => ({ id: t.id, task: t.task, queue: t.queue, delayMs: t.delay_ms, priority: t.priority })));
    report.reenqueued += lost.length;
    for (const t of lost) deps.logger.warn('re-enqueued a queued task whose job was missing or failed', { task_id: t.id, status: t.status });
  }

  for await (const page of pages(deps, ['STARTED', 'PROGRESS'], limit)) {
    report.checked += page.length;
    const states = await jobStates(deps.redis, prefix, page);
    for (const [i, t] of page.entries()) {
      const { exists, locked, failed, active, envelope } = states[i]!;
      if (locked) continue;
      // Already back in the queue (a stall check or an earlier pass put it there): re-adding
      // it would only move it to the back of the line.
      if (exists && !failed && !active) continue;
      const pastHardLimit = (t.running_ms ?? 0) > hardLimitOf(deps.policies, t.task) + deps.graceMs;
      // An active job without a lock is BullMQ's stalled check to redeliver, unless it is overdue.
      if (exists && !failed && !pastHardLimit) continue;
      // The task's own job is replaced; an envelope is left to its other tasks (when its stall
      // check redelivers it, it finds this task taken by its own job and leaves it be).
      if (exists && !envelope) await deps.producer.queue(t.queue).remove(t.id);
      await deps.producer.enqueue({ id: t.id, task: t.task, queue: t.queue, priority: t.priority });
      report.requeuedRunning += 1;
      deps.logger.warn('requeued a running task with no live lock', { task_id: t.id, job_existed: exists, job_failed: failed, running_ms: t.running_ms });
    }
  }
  return report;
}

function hardLimitOf(policies: TaskPolicies, task: string): number {
  try {
    return policies.get(task).hardTimeoutMs;
  } catch {
    return 0; // A task no longer in the catalog: requeue it so its claim fails it cleanly.
  }
}

async function* pages(deps: ReconcilerDeps, statuses: UnfinishedTask['status'][], limit: number) {
  let afterId: string | undefined;
  for (;;) {
    const page = await findUnfinishedTasks(deps.db, { statuses, graceMs: deps.graceMs, afterId, limit });
    if (page.length === 0) return;
    yield page;
    if (page.length < limit) return;
    afterId = page[page.length - 1]!.id;
  }
}
