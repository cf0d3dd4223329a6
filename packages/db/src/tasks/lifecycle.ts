import { type Kysely, type RawBuilder, sql } from 'kysely';
import { runPrepared } from '../connect';
import type { AttemptOutcome, Database } from '../schema';

// Every state change of a running task is a compare-and-set on (id, attempt, running status):
// a stale attempt (a newer one has claimed the task) or a finished task matches no row and
// the write is refused. Each is one update of the task row, which also appends the attempt
// that ended to the row's attempt_history (and, for a final failure, files the dead letter in
// the same statement), so the history never disagrees with the task.

type Db = Kysely<Database>;

export interface AttemptRef {
  id: string;
  attempt: number;
}

export interface TaskErrorValue {
  type: string;
  message: string;
}

/** What a worker gets when it claims a task: everything it needs to run the attempt. */
export interface Claim {
  id: string;
  tenant_id: string;
  task: string;
  queue: string;
  payload: unknown;
  attempt: number;
  max_attempts: number;
}

const interval = (ms: number) => sql`now() + ${ms} * interval '1 millisecond'`;

// Status tests name the states a row must NOT be in. With the check constraint on status that
// means the same, but no index matches such a test, so the planner finds rows by primary key.
// With "status in (...)" it would also scan tasks_unfinished, whose statistics lag behind a
// queue that fills and drains within seconds: measured, a claim of 50 tasks scanned all 30,000
// queued ones.
const UNFINISHED_TEXT = `status not in ('SUCCESS', 'FAILURE', 'REVOKED')`;
const RUNNING_TEXT = `status not in ('PENDING', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED')`;
const RUNNING = sql.raw(RUNNING_TEXT);

// The hot statements (claims, progress, results of every task) are plain text run as named
// prepared statements: planned once per connection. Bump the version in a name whenever its
// text changes. Each finds its rows through "id = any($ids)", which only the primary key
// serves: joined to jsonb_to_recordset alone (estimated at 100 rows) the planner chose a
// sequential scan of the whole table.

/**
 * SQL for the row's running attempt appended to its attempt_history, ending now. `outcome` is
 * one of ours (written as a literal); `errorSql` is an SQL expression of the error (jsonb).
 * Inside an UPDATE's SET, the row's columns are the values before the update.
 */
const appendAttempt = (outcome: AttemptOutcome, errorSql = 'null::jsonb') =>
  `tasks.attempt_history || jsonb_build_array(jsonb_build_object(
     'attempt', tasks.attempt, 'started_at', tasks.started_at, 'finished_at', now(), 'outcome', '${outcome}', 'error', ${errorSql}))`;

/**
 * Starts a new attempt of each task: one statement moves every unfinished task to STARTED and
 * bumps its attempt number; an earlier attempt that never reported (its worker died) goes to
 * attempt_history as `lost`. Returns one entry per id, in order: undefined for a task that is
 * finished, revoked or unknown, so a duplicate delivery never runs it again. A task already
 * STARTED is claimable because BullMQ only redelivers an active job once its lock lapsed,
 * that is, once the earlier attempt is presumed dead; the new attempt number fences it off.
 * The ids must be distinct (GroupCommit's key sees to it).
 */
const CLAIM_TASKS = `
  update tasks
     set status = 'STARTED', attempt = attempt + 1, progress = 0, message = null,
         started_at = now(), updated_at = now(), next_attempt_at = null,
         attempt_history = case when status in ('STARTED', 'PROGRESS') then ${appendAttempt('lost')} else attempt_history end
   where id = any($1::uuid[]) and ${UNFINISHED_TEXT}
returning id, tenant_id, task, queue, payload, attempt, max_attempts`;

export async function claimTasks(db: Db, ids: string[]): Promise<(Claim | undefined)[]> {
  if (ids.length === 0) return [];
  const rows = await runPrepared<Claim>(db, 'conveyor_claim_tasks_v1', CLAIM_TASKS, [ids]);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id));
}

/** Starts a new attempt of one task; see claimTasks. */
export async function claimTask(db: Db, id: string): Promise<Claim | undefined> {
  const [claim] = await claimTasks(db, [id]);
  return claim;
}

export interface ProgressWrite extends AttemptRef {
  progress: number;
  message: string | null;
}

/**
 * Records progress of running attempts in one statement; one boolean per write, in order:
 * false when that attempt no longer owns its task. At most one write per task.
 */
const RECORD_PROGRESS = `
  update tasks
     set status = 'PROGRESS', progress = i.progress, message = i.message, updated_at = now()
    from jsonb_to_recordset($1::jsonb) as i(id uuid, attempt int, progress smallint, message text)
   where tasks.id = any($2::uuid[]) and tasks.id = i.id and tasks.attempt = i.attempt and ${RUNNING_TEXT}
returning tasks.id`;

export async function recordProgressMany(db: Db, writes: ProgressWrite[]): Promise<boolean[]> {
  if (writes.length === 0) return [];
  const input = writes.map((w) => ({ id: w.id, attempt: w.attempt, progress: Math.max(0, Math.min(100, Math.round(w.progress))), message: w.message }));
  const rows = await runPrepared<{ id: string }>(db, 'conveyor_record_progress_v1', RECORD_PROGRESS, [JSON.stringify(input), writes.map((w) => w.id)]);
  const applied = new Set(rows.map((r) => r.id));
  return writes.map((w) => applied.has(w.id));
}

/** Records progress of a running attempt; false when the attempt no longer owns the task. */
export async function recordProgress(db: Db, ref: ProgressWrite): Promise<boolean> {
  const [applied] = await recordProgressMany(db, [ref]);
  return applied!;
}

/**
 * The shared shape of every rarer outcome write: one statement that updates the task by
 * compare-and-set, appends the attempt with `outcome`, and, for a final failure, files the
 * dead letter. Returns whether the compare-and-set matched.
 */
async function finishAttempt(
  db: Db,
  ref: AttemptRef,
  change: { set: RawBuilder<unknown>; outcome: AttemptOutcome; error?: TaskErrorValue; deadLetter?: boolean },
): Promise<boolean> {
  const error = change.error ? JSON.stringify(change.error) : null;
  const deadLetter = change.deadLetter
    ? sql`, d as (
        insert into dead_letters (task_id, tenant_id, task, queue, error, attempts)
        select id, tenant_id, task, queue, ${error}::jsonb, attempt from t
        on conflict (task_id) do update set error = excluded.error, attempts = excluded.attempts, failed_at = now()
      )`
    : sql``;
  const { rows } = await sql<{ id: string }>`
    with e as (
      select ${error}::jsonb as error
    ), t as (
      update tasks set ${change.set}, updated_at = now(), attempt_history = ${sql.raw(appendAttempt(change.outcome, '(select error from e)'))}
       where id = ${ref.id} and attempt = ${ref.attempt} and ${RUNNING}
   returning id, tenant_id, task, queue, attempt
    )${deadLetter}
    select id from t`.execute(db);
  return rows.length > 0;
}

export interface CompletionWrite extends AttemptRef {
  result: unknown;
  retentionMs: number;
  message?: string;
}

/**
 * Ends attempts in SUCCESS with their results, in one statement; one boolean per write, in
 * order: false when that attempt no longer owns its task. At most one write per task.
 */
const COMPLETE_TASKS = `
  update tasks
     set status = 'SUCCESS', progress = 100, result = i.result, error = null, message = i.message,
         finished_at = now(), updated_at = now(), expires_at = now() + i.retention_ms * interval '1 millisecond',
         attempt_history = ${appendAttempt('success')}
    from jsonb_to_recordset($1::jsonb) as i(id uuid, attempt int, result jsonb, retention_ms bigint, message text)
   where tasks.id = any($2::uuid[]) and tasks.id = i.id and tasks.attempt = i.attempt and ${RUNNING_TEXT}
returning tasks.id`;

export async function completeTasks(db: Db, writes: CompletionWrite[]): Promise<boolean[]> {
  if (writes.length === 0) return [];
  const input = writes.map((w) => ({ id: w.id, attempt: w.attempt, result: w.result ?? null, retention_ms: w.retentionMs, message: w.message ?? 'Task completed' }));
  const rows = await runPrepared<{ id: string }>(db, 'conveyor_complete_tasks_v1', COMPLETE_TASKS, [JSON.stringify(input), writes.map((w) => w.id)]);
  const applied = new Set(rows.map((r) => r.id));
  return writes.map((w) => applied.has(w.id));
}

/** Ends the attempt in SUCCESS with its result; false when it no longer owns the task. */
export async function completeTask(db: Db, ref: CompletionWrite): Promise<boolean> {
  const [applied] = await completeTasks(db, [ref]);
  return applied!;
}

/** Ends the attempt as a transient failure: RETRY until nextAttemptInMs has passed. */
export function scheduleRetry(db: Db, ref: AttemptRef & { error: TaskErrorValue; nextAttemptInMs: number }): Promise<boolean> {
  return finishAttempt(db, ref, {
    outcome: 'retry',
    error: ref.error,
    set: sql`status = 'RETRY', error = ${JSON.stringify(ref.error)}::jsonb,
             message = ${`Attempt ${ref.attempt} failed: ${ref.error.message}`.slice(0, 2000)},
             next_attempt_at = ${interval(ref.nextAttemptInMs)}`,
  });
}

/** Ends the task in FAILURE for good and files it in the dead-letter table. */
export function failTask(db: Db, ref: AttemptRef & { error: TaskErrorValue; retentionMs: number }): Promise<boolean> {
  return finishAttempt(db, ref, {
    outcome: 'failure',
    error: ref.error,
    deadLetter: true,
    set: sql`status = 'FAILURE', error = ${JSON.stringify(ref.error)}::jsonb, message = ${ref.error.message.slice(0, 2000)},
             finished_at = now(), next_attempt_at = null, expires_at = ${interval(ref.retentionMs)}`,
  });
}

/**
 * Gives a running task back because its worker is shutting down: RETRY, due now, with one
 * more attempt allowed, since a deployment is not the task's fault.
 */
export function releaseTask(db: Db, ref: AttemptRef): Promise<boolean> {
  return finishAttempt(db, ref, {
    outcome: 'released',
    set: sql`status = 'RETRY', max_attempts = max_attempts + 1, next_attempt_at = now(),
             message = 'Released by a worker shutting down; another worker takes it'`,
  });
}
