import type { TaskView } from '@conveyor/contracts';
import type { TaskAttemptRow, TaskRow } from '@conveyor/db';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A task row as the API shows it (DESIGN.md §5), with its attempts when given. */
export function toTaskView(row: TaskRow, attempts?: TaskAttemptRow[]): TaskView {
  return {
    task_id: row.id,
    task: row.task,
    status: row.status,
    progress: row.progress,
    message: row.message,
    attempts: row.attempt,
    max_attempts: row.max_attempts,
    priority: row.priority || null,
    created_at: row.created_at.toISOString(),
    run_at: iso(row.run_at),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    next_attempt_at: iso(row.next_attempt_at),
    ...(attempts
      ? {
          attempt_history: attempts.map((a) => ({
            attempt: a.attempt,
            started_at: a.started_at.toISOString(),
            finished_at: iso(a.finished_at),
            outcome: a.outcome,
            error: (a.error as { type: string; message: string } | null) ?? null,
          })),
        }
      : {}),
  };
}

/** GET /tasks/{id}/result: the result once SUCCESS, the error once FAILURE, else null. */
export function toResultView(row: TaskRow) {
  if (row.status === 'FAILURE' || row.status === 'REVOKED') return { task_id: row.id, status: row.status, error: row.error };
  return { task_id: row.id, status: row.status, result: row.status === 'SUCCESS' ? row.result : null };
}
