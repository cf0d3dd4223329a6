import type { TaskPolicies } from '@conveyor/contracts';
import { type Database, type Requeued, replayDeadLetters } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { TaskProducer } from '@conveyor/queue';
import type { Kysely } from 'kysely';

export interface ReplayDeps {
  db: Kysely<Database>;
  producer: TaskProducer;
  policies: TaskPolicies;
  logger: Logger;
}

export type ReplayFilter = Parameters<typeof replayDeadLetters>[1];

/**
 * Replays dead letters (committed first: they are PENDING with fresh attempts) and enqueues
 * them. If Redis cannot take the jobs now, the replay stands and the reconciler enqueues them.
 */
export async function replayAndEnqueue(deps: ReplayDeps, filter: ReplayFilter): Promise<{ taskIds: string[]; enqueued: boolean }> {
  const replayed = await replayDeadLetters(deps.db, filter, deps.policies);
  const enqueued = await enqueueReplayed(deps, replayed);
  deps.logger.info('dead letters replayed', { count: replayed.length });
  return { taskIds: replayed.map((r) => r.id), enqueued };
}

/**
 * Enqueues tasks whose replay is committed, replacing a job left from their failed run (see
 * TaskProducer.enqueueReplacing). False (and a warning) when Redis cannot take them now, or
 * a job of the earlier run still holds a task's id: the replay stands, and the reconciler
 * enqueues them.
 */
export async function enqueueReplayed(deps: Pick<ReplayDeps, 'producer' | 'logger'>, replayed: Requeued[]): Promise<boolean> {
  try {
    const held = await deps.producer.enqueueReplacing(replayed.map((r) => ({ id: r.id, task: r.task, queue: r.queue, priority: r.priority })));
    if (held.length > 0) deps.logger.warn('replayed tasks still held by the job of their earlier run; the reconciler will enqueue them', { task_ids: held });
    return held.length === 0;
  } catch (error) {
    deps.logger.warn('replayed tasks could not be enqueued now; the reconciler will', { count: replayed.length, error });
    return false;
  }
}
