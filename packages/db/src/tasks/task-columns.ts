import type { TasksTable } from '../schema';

/**
 * Every column of a task row, named (the compiler checks the list against TasksTable). A
 * prepared statement must not select `tasks.*`: once a migration adds a column, Postgres
 * refuses to run the cached plan of a process started before it ("cached plan must not change
 * result type"), which a rolling upgrade would turn into errors until every replica restarted.
 */
const TASK_COLUMNS: Record<keyof TasksTable, true> = {
  id: true,
  tenant_id: true,
  task: true,
  queue: true,
  status: true,
  payload: true,
  result: true,
  error: true,
  progress: true,
  message: true,
  attempt: true,
  max_attempts: true,
  created_at: true,
  updated_at: true,
  started_at: true,
  finished_at: true,
  priority: true,
  run_at: true,
  idempotency_key: true,
  next_attempt_at: true,
  expires_at: true,
  schedule_id: true,
  planned_at: true,
  attempt_history: true,
  replayed_at_attempt: true,
  tags: true,
  metadata: true,
  origin: true,
  worker: true,
  requeued_by: true,
  final_status: true,
};

/** The columns of a task row, named (optionally qualified by an alias), for a prepared statement's select or returning list. */
export function taskColumns(alias?: string): string {
  return Object.keys(TASK_COLUMNS)
    .map((c) => (alias ? `${alias}.${c}` : c))
    .join(', ');
}
