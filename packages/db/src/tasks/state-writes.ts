import type { Kysely } from 'kysely';
import { runPrepared } from '../connect';
import type { Database } from '../schema';
import type { AttemptRef, Claim } from './lifecycle';
import { RUNNING_TEXT, UNFINISHED_TEXT, appendAttempt } from './status-sql';

// The writes every task makes, claim, progress and result, for any number of tasks in one
// statement: one commit for a whole group (see GroupCommit). Each is a compare-and-set:
//  - a claim moves an unfinished task to STARTED and bumps its attempt number; an earlier
//    attempt that never reported (its worker died) goes to attempt_history as `lost`. A task
//    already STARTED is claimable because BullMQ only redelivers an active job once its lock
//    lapsed, that is, once the earlier attempt is presumed dead; the new attempt number fences
//    it off. A finished, revoked or unknown task is not claimed, so a duplicate delivery never
//    runs it again;
//  - progress and a result apply only while the attempt still owns the task (same attempt,
//    still running); otherwise they are refused.

export interface ProgressWrite extends AttemptRef {
  progress: number;
  message: string | null;
}

export interface CompletionWrite extends AttemptRef {
  result: unknown;
  retentionMs: number;
  message?: string;
}

/** A claim; `worker` is the claiming process's instance id, kept on the row and in the attempt's history. */
export interface ClaimWrite {
  id: string;
  worker?: string | null;
}

export type TaskStateWrite = ({ kind: 'claim' } & ClaimWrite) | ({ kind: 'progress' } & ProgressWrite) | ({ kind: 'complete' } & CompletionWrite);

/** A claim's answer is the claim (undefined: not claimable); the others' whether they applied. */
export type TaskStateResult = Claim | undefined | boolean;

// What a lost attempt's history entry says: its worker never reported, so nothing else is
// known; its finished_at is when the next claim found it gone.
const LOST_ERROR = `jsonb_build_object('type', 'WorkerLost', 'message', 'its worker stopped (crashed, was killed or stalled) before this attempt reported an outcome')`;

// Plain text, run as a named prepared statement: planned once per connection. Bump the version
// in the name whenever the text changes. Every part finds its rows through "id = any($ids)",
// which only the primary key serves: joined to jsonb_to_recordset alone (estimated at 100
// rows) the planner chose a sequential scan of the whole table.
const WRITE_TASK_STATES = `
with claimed as (
  update tasks
     set status = 'STARTED', attempt = attempt + 1, progress = 0, message = null,
         worker = ($6::text[])[array_position($1::uuid[], id)],
         started_at = now(), updated_at = now(), next_attempt_at = null,
         attempt_history = case when status in ('STARTED', 'PROGRESS') then ${appendAttempt('lost', LOST_ERROR)} else attempt_history end
   where id = any($1::uuid[]) and ${UNFINISHED_TEXT}
returning id, tenant_id, task, queue, payload, attempt, max_attempts,
          jsonb_array_length(jsonb_path_query_array(attempt_history, '$[*] ? (@.outcome == "lost" && @.attempt > $since)', jsonb_build_object('since', replayed_at_attempt))) as lost_attempts
), progressed as (
  update tasks
     set status = 'PROGRESS', progress = p.progress, message = p.message, updated_at = now()
    from jsonb_to_recordset($2::jsonb) as p(id uuid, attempt int, progress smallint, message text)
   where tasks.id = any($3::uuid[]) and tasks.id = p.id and tasks.attempt = p.attempt and ${RUNNING_TEXT}
returning tasks.id
), completed as (
  update tasks
     set status = 'SUCCESS', progress = 100, result = c.result, error = null, message = c.message,
         finished_at = now(), updated_at = now(), expires_at = now() + c.retention_ms * interval '1 millisecond',
         attempt_history = ${appendAttempt('success')}
    from jsonb_to_recordset($4::jsonb) as c(id uuid, attempt int, result jsonb, retention_ms bigint, message text)
   where tasks.id = any($5::uuid[]) and tasks.id = c.id and tasks.attempt = c.attempt and ${RUNNING_TEXT}
returning tasks.id
)
select 'claim' as kind, id, tenant_id, task, queue, payload, attempt, max_attempts, lost_attempts from claimed
union all select 'progress', id, null, null, null, null, null, null, null from progressed
union all select 'complete', id, null, null, null, null, null, null, null from completed`;

type Row = Claim & { kind: TaskStateWrite['kind'] };

/**
 * Writes claims, progress and results of many tasks in one statement; one answer per write,
 * in order. At most one write per task (two writes to one row in one statement would race).
 */
export async function writeTaskStates(db: Kysely<Database>, writes: TaskStateWrite[]): Promise<TaskStateResult[]> {
  if (writes.length === 0) return [];
  const claims: string[] = [];
  const workers: (string | null)[] = [];
  const progress: ProgressWrite[] = [];
  const completions: { id: string; attempt: number; result: unknown; retention_ms: number; message: string }[] = [];
  for (const w of writes) {
    if (w.kind === 'claim') {
      claims.push(w.id);
      workers.push(w.worker ?? null);
    } else if (w.kind === 'progress')
      progress.push({ id: w.id, attempt: w.attempt, progress: Math.max(0, Math.min(100, Math.round(w.progress))), message: w.message });
    else completions.push({ id: w.id, attempt: w.attempt, result: w.result ?? null, retention_ms: w.retentionMs, message: w.message ?? 'Task completed' });
  }
  const rows = await runPrepared<Row>(db, 'conveyor_write_task_states_v5', WRITE_TASK_STATES, [
    claims,
    JSON.stringify(progress),
    progress.map((p) => p.id),
    JSON.stringify(completions),
    completions.map((c) => c.id),
    workers,
  ]);
  const answers = new Map<string, Row>();
  for (const row of rows) answers.set(`${row.kind}:${row.id}`, row);
  return writes.map((w) => {
    const row = answers.get(`${w.kind}:${w.id}`);
    if (w.kind !== 'claim') return row !== undefined;
    if (!row) return undefined;
    const { kind: _kind, ...claim } = row;
    return claim;
  });
}

/** Starts a new attempt of one task; undefined when it is finished, revoked or unknown. */
export async function claimTask(db: Kysely<Database>, id: string, worker?: string): Promise<Claim | undefined> {
  return (await writeTaskStates(db, [{ kind: 'claim', id, worker }]))[0] as Claim | undefined;
}

/** Records progress of a running attempt; false when the attempt no longer owns the task. */
export async function recordProgress(db: Kysely<Database>, write: ProgressWrite): Promise<boolean> {
  return (await writeTaskStates(db, [{ kind: 'progress', ...write }]))[0] as boolean;
}

/** Ends the attempt in SUCCESS with its result; false when it no longer owns the task. */
export async function completeTask(db: Kysely<Database>, write: CompletionWrite): Promise<boolean> {
  return (await writeTaskStates(db, [{ kind: 'complete', ...write }]))[0] as boolean;
}
