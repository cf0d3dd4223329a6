import { randomUUID } from 'node:crypto';
import { TASK_NAMES, getTaskDefinition } from '@conveyor/contracts';
import { type Database, type TaskRow, deleteUnstartedTask, insertTask } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { TaskProducer } from '@conveyor/queue';
import { QueueUnavailableError } from '@conveyor/queue';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { HttpError, validationError } from './http-error';

export interface SubmitDeps {
  db: Kysely<Database>;
  redis: Redis;
  producer: TaskProducer;
  logger: Logger;
}

/**
 * Accepts one task for a tenant: validates it against the catalog, commits its row, then
 * enqueues it. If the enqueue fails the row is removed again and the caller gets 503, so
 * a refused submission leaves nothing behind and a retry cannot create a twin.
 */
export async function submitTask(deps: SubmitDeps, tenantId: string, task: string, rawPayload: unknown): Promise<TaskRow> {
  const definition = getTaskDefinition(task);
  if (!definition) {
    throw new HttpError(400, 'unknown_task', `Unknown task "${task}". Known tasks: ${TASK_NAMES.join(', ')}`, [
      { path: 'task', message: `must be one of: ${TASK_NAMES.join(', ')}` },
    ]);
  }
  const payload = definition.payload.safeParse(rawPayload);
  if (!payload.success) throw validationError(payload.error, `payload for task "${task}"`, 'payload');

  // Checked before writing anything: with Redis down there is no point committing a row.
  if (deps.redis.status !== 'ready') throw new QueueUnavailableError(`Redis is not connected (${deps.redis.status})`);

  const row = await insertTask(deps.db, {
    id: randomUUID(),
    tenant_id: tenantId,
    task: definition.name,
    queue: definition.queue,
    payload: payload.data,
    max_attempts: definition.defaults.attempts,
  });
  try {
    await deps.producer.enqueue({ id: row.id, task: row.task, queue: definition.queue });
  } catch (error) {
    await deleteUnstartedTask(deps.db, row.id).catch((cleanupError: unknown) =>
      deps.logger.error('could not remove a task whose enqueue failed', { task_id: row.id, error: cleanupError }),
    );
    throw error;
  }
  deps.logger.info('task accepted', { task_id: row.id, task: row.task });
  return row;
}
