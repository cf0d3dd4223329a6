import type { TaskPolicies } from '@conveyor/contracts';
import { type Database, type UnfinishedTask, findUnfinishedTasks } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { type TaskProducer, jobKey } from './producer';

export interface ReconcilerDeps {
  db: Kysely<Database>;
  /** Any connection to the Redis the producer uses. */
  redis: Redis;
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
 * - PENDING/RETRY tasks whose BullMQ job does not exist are enqueued again, keeping their
 *   remaining delay and priority.
 * - STARTED/PROGRESS tasks with no live lock are requeued when their job is gone, or when
 *   they have run past their hard limit; the next claim fences the lost attempt off (and
 *   fails the task if that attempt was its last).
 * Re-adding uses the task id as job id, so a pass racing another pass or a worker is harmless.
 */
export async function reconcileOnce(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, reenqueued: 0, requeuedRunning: 0 };
  const limit = deps.batchSize ?? 1000;
  const prefix = deps.producer.prefix;

  for await (const page of pages(deps, ['PENDING', 'RETRY'], limit)) {
    report.checked += page.length;
    const exists = await existence(deps.redis, page.map((t) => jobKey(prefix, t.queue, t.id)));
    const missing = page.filter((_, i) => !exists[i]);
    await deps.producer.enqueueMany(missing.map((t) => ({ id: t.id, task: t.task, queue: t.queue, delayMs: t.delay_ms, priority: t.priority })));
    report.reenqueued += missing.length;
    for (const t of missing) deps.logger.warn('re-enqueued a queued task whose job was missing', { task_id: t.id, status: t.status });
  }

  for await (const page of pages(deps, ['STARTED', 'PROGRESS'], limit)) {
    report.checked += page.length;
    const keys = page.flatMap((t) => [jobKey(prefix, t.queue, t.id), `${jobKey(prefix, t.queue, t.id)}:lock`]);
    const exists = await existence(deps.redis, keys);
    for (const [i, t] of page.entries()) {
      const [jobExists, locked] = [exists[2 * i], exists[2 * i + 1]];
      if (locked) continue;
      const pastHardLimit = (t.running_ms ?? 0) > hardLimitOf(deps.policies, t.task) + deps.graceMs;
      if (jobExists && !pastHardLimit) continue; // BullMQ's own stalled check will redeliver it.
      if (jobExists) await deps.producer.queue(t.queue).remove(t.id);
      await deps.producer.enqueue({ id: t.id, task: t.task, queue: t.queue, priority: t.priority });
      report.requeuedRunning += 1;
      deps.logger.warn('requeued a running task with no live lock', { task_id: t.id, job_existed: jobExists, running_ms: t.running_ms });
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

/** EXISTS for many keys in one round trip. */
async function existence(redis: Redis, keys: string[]): Promise<boolean[]> {
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.exists(key);
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value === 1;
  });
}
