import type { TaskPolicies } from '@conveyor/contracts';
import { type Database, replayDeadLetters } from '@conveyor/db';
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
  const replayed = await replayDeadLetters(deps.db, filter, (task) => deps.policies.get(task).attempts);
  let enqueued = true;
  try {
    await deps.producer.enqueueMany(replayed.map((r) => ({ id: r.id, task: r.task, queue: r.queue, priority: r.priority })));
  } catch (error) {
    enqueued = false;
    deps.logger.warn('replayed tasks could not be enqueued now; the reconciler will', { count: replayed.length, error });
  }
  deps.logger.info('dead letters replayed', { count: replayed.length });
  return { taskIds: replayed.map((r) => r.id), enqueued };
}
