import type { TaskView } from '@conveyor/contracts';
import { type TaskRow, attemptsOf } from '@conveyor/db';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
/** A timestamp Postgres printed inside jsonb ("2026-11-25T17:10:40.123456+00:00"), as the API's ISO form. */
const isoText = (text: string) => new Date(text).toISOString();

/** A task row as the API shows it (README.md, "How it fits together": Read); the single-task read adds its payload and attempt history. */
export function toTaskView(row: TaskRow, detailed = false): TaskView {
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
    schedule_id: row.schedule_id,
    tags: row.tags,
    metadata: row.metadata as Record<string, unknown> | null,
    ...(detailed
      ? {
          payload: row.payload as Record<string, unknown>,
          attempt_history: attemptsOf(row).map((a) => ({
            attempt: a.attempt,
            started_at: isoText(a.started_at),
            finished_at: a.finished_at === null ? null : isoText(a.finished_at),
            outcome: a.outcome,
            error: a.error ?? null,
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
