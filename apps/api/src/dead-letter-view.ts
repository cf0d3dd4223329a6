import type { TaskError, TenantDeadLetterView } from '@conveyor/contracts';
import type { DeadLetterRow } from '@conveyor/db';

/** A dead letter as the tenant's routes show it: its error, the code it is grouped by, its task's payload. */
export function deadLetterView(row: DeadLetterRow, payload: unknown): TenantDeadLetterView {
  const error = row.error as TaskError;
  return {
    task_id: row.task_id,
    task: row.task,
    queue: row.queue,
    error,
    error_code: error.code ?? error.type ?? 'unknown',
    attempts: row.attempts,
    failed_at: row.failed_at.toISOString(),
    payload: (payload ?? null) as TenantDeadLetterView['payload'],
  };
}
