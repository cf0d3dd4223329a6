import type { TaskLogLevel, TaskLogLine } from '@conveyor/contracts';
import type { Kysely } from 'kysely';
import { runPrepared } from '../connect';
import { encodeSequenceCursor } from '../cursor';
import type { Database } from '../schema';

type Db = Kysely<Database>;

/** A line as a worker hands it over (already capped and redacted). */
export interface TaskLogInput {
  level: TaskLogLevel;
  message: string;
  fields: Record<string, unknown> | null;
  /** When the handler said it (ISO). */
  at: string;
}

/** A stored line; seq is a bigint, as text. */
export interface TaskLogRow {
  seq: string;
  attempt: number;
  level: TaskLogLevel;
  message: string;
  fields: Record<string, unknown> | null;
  at: Date;
}

/** A stored line as the API shows it (GET /tasks/{id}/logs, the `log` live event) and the worker publishes it. */
export const toTaskLogLine = (row: TaskLogRow): TaskLogLine => ({
  seq: Number(row.seq),
  at: new Date(row.at).toISOString(),
  attempt: row.attempt,
  level: row.level,
  message: row.message,
  fields: row.fields,
});

export interface TaskLogBatch {
  taskId: string;
  tenantId: string;
  attempt: number;
  lines: TaskLogInput[];
  /** The attempt dropped lines before this batch (its own cap): the task's marker line is due. */
  overflowed: boolean;
}

/** The line that says a task's log reached its cap; written once per task. */
export const truncatedLogMessage = (cap: number) => `This task's log reached ${cap} lines; later lines were dropped`;

// One statement per flush: counts the task's lines, keeps as many as fit under the cap, and
// adds the marker line once when any did not fit. Two attempts flushing at once (a fenced one
// still running) may pass the cap by a few lines; nothing worse. A named prepared statement.
const INSERT_LOGS = `
with existing as (select count(*)::int as n from task_logs where task_id = $1),
l as (select * from jsonb_to_recordset($3::jsonb) as l(ord int, level text, message text, fields jsonb, at timestamptz)),
ins as (
  insert into task_logs (task_id, tenant_id, attempt, level, message, fields, at)
  select $1::uuid, $2::uuid, $4::int, l.level, l.message, l.fields, l.at from l, existing where l.ord <= $5::int - existing.n
  union all
  select $1::uuid, $2::uuid, $4::int, 'warn', $6::text, null, now() from existing
   where existing.n <= $5::int and ($7::boolean or existing.n + $8::int > $5::int)
  returning seq, attempt, level, message, fields, at
)
select ins.*, (select n from existing) + $8::int > $5::int or $7::boolean as full from ins
union all select null, null, null, null, null, null, (select n from existing) + $8::int > $5::int or $7::boolean where not exists (select 1 from ins)`;

/**
 * Stores an attempt's buffered lines under the task's cap (`cap` lines over all its
 * attempts, then one marker line). Returns the lines stored, in order (to publish them), and
 * whether the task's log is full: its marker line is written (in this statement or before),
 * so the worker stops buffering. A batch that exactly reaches the cap is not full: the next
 * line still has to come, to be refused and marked.
 */
export async function insertTaskLogs(db: Db, batch: TaskLogBatch, cap: number): Promise<{ rows: TaskLogRow[]; full: boolean }> {
  if (batch.lines.length === 0 && !batch.overflowed) return { rows: [], full: false };
  const lines = batch.lines.map((line, i) => ({ ord: i + 1, ...line }));
  const result = await runPrepared<TaskLogRow & { full: boolean }>(db, 'conveyor_insert_task_logs_v2', INSERT_LOGS, [
    batch.taskId,
    batch.tenantId,
    JSON.stringify(lines),
    batch.attempt,
    cap,
    truncatedLogMessage(cap),
    batch.overflowed,
    lines.length,
  ]);
  const full = result.some((row) => row.full);
  const rows = result
    .filter((row) => row.seq !== null)
    .map(({ full: _full, ...row }) => row)
    .sort((a, b) => Number(a.seq) - Number(b.seq));
  return { rows, full };
}

/** A page of a task's lines, oldest first, after the line `afterSeq`. */
export async function listTaskLogs(db: Db, taskId: string, query: { afterSeq?: string; limit: number }): Promise<{ rows: TaskLogRow[]; next?: string }> {
  let q = db.selectFrom('task_logs').select(['seq', 'attempt', 'level', 'message', 'fields', 'at']).where('task_id', '=', taskId);
  if (query.afterSeq !== undefined) q = q.where('seq', '>', query.afterSeq as never);
  const rows = (await q
    .orderBy('seq')
    .limit(query.limit + 1)
    .execute()) as TaskLogRow[];
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > query.limit && last ? encodeSequenceCursor(last.seq) : undefined };
}
