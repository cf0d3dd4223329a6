import type { TaskPolicies } from '@conveyor/contracts';
import { type Database, type RevokeResult, type TaskRow, revokeTask } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { TaskEventPublisher, TaskProducer } from '@conveyor/queue';
import type { Kysely } from 'kysely';

export interface RevokeDeps {
  db: Kysely<Database>;
  producer: TaskProducer;
  events: TaskEventPublisher;
  policies: TaskPolicies;
  logger: Logger;
}

/**
 * Revokes a tenant's task and makes it take effect soon (POST /tasks/{id}/cancel, and a
 * cancelled post's publish task). The revoke is committed first; then a queued job is dropped
 * or a running handler told to stop. Should Redis be down, the claim refuses the task and a
 * running attempt is fenced at its next write, so the revoke holds regardless.
 */
export async function revokeAndNotify(
  deps: RevokeDeps,
  task: Pick<TaskRow, 'id' | 'task' | 'queue'>,
  tenantId: string,
): Promise<RevokeResult & { running?: boolean }> {
  const result = await revokeTask(deps.db, task.id, tenantId, deps.policies.get(task.task).retentionMs);
  if (result.outcome !== 'revoked') return result;
  const running = result.previous === 'STARTED' || result.previous === 'PROGRESS';
  try {
    if (running) await deps.events.publishCancel(task.id);
    else await deps.producer.remove(task.queue, task.id);
  } catch (error) {
    deps.logger.warn('revoke stored, but Redis could not be told at once', { task_id: task.id, error });
  }
  deps.events.publish({ task_id: task.id, status: 'REVOKED', progress: result.row.progress, message: result.row.message, attempts: result.row.attempt });
  return { ...result, running };
}
