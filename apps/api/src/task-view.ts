import type { TaskView } from '@conveyor/contracts';
import type { TaskRow } from '@conveyor/db';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A task row as the API shows it (DESIGN.md §5). */
export function toTaskView(row: TaskRow): TaskView {
  return {
    task_id: row.id,
    task: row.task,
    status: row.status,
    progress: row.progress,
    message: row.message,
    attempts: row.attempt,
    created_at: row.created_at.toISOString(),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}

/** GET /tasks/{id}/result: the result once SUCCESS, the error once FAILURE, else null. */
export function toResultView(row: TaskRow) {
  if (row.status === 'FAILURE' || row.status === 'REVOKED') return { task_id: row.id, status: row.status, error: row.error };
  return { task_id: row.id, status: row.status, result: row.status === 'SUCCESS' ? row.result : null };
}
