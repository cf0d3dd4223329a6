import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { AttemptOutcome, Database } from '../schema';

// Every state change of a running task is a compare-and-set on (id, attempt, running status):
// a stale attempt (a newer one has claimed the task) or a finished task matches no row and
// the write is refused. Each statement also keeps task_attempts and dead_letters in step, in
// the same statement, so the history never disagrees with the task.

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

/**
 * Starts a new attempt of each task: one statement moves every claimable task to STARTED and
 * bumps its attempt number, closes an earlier attempt that never finished (its worker died)
 * as `lost`, and opens the new attempts' history rows. Returns one entry per id, in order:
 * undefined for a task that is finished, revoked or unknown, so a duplicate delivery never
 * runs it again. A task already STARTED is claimable because BullMQ only redelivers an active
 * job once its lock lapsed, that is, once the earlier attempt is presumed dead; the new
 * attempt number fences it off. The ids must be distinct (GroupCommit's key sees to it).
 */
export async function claimTasks(db: Db, ids: string[]): Promise<(Claim | undefined)[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<Claim>`
    with claimed as (
      update tasks
         set status = 'STARTED', attempt = attempt + 1, progress = 0, message = null,
             started_at = now(), updated_at = now(), next_attempt_at = null
       where id = any(${ids}::uuid[]) and status in ('PENDING', 'RETRY', 'STARTED', 'PROGRESS')
   returning id, tenant_id, task, queue, payload, attempt, max_attempts
    ), lost as (
      update task_attempts set finished_at = now(), outcome = 'lost'
        from claimed
       where task_attempts.task_id = claimed.id and task_attempts.finished_at is null
    ), opened as (
      insert into task_attempts (task_id, attempt) select id, attempt from claimed
    )
    select * from claimed`.execute(db);
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
export async function recordProgressMany(db: Db, writes: ProgressWrite[]): Promise<boolean[]> {
  if (writes.length === 0) return [];
  const input = writes.map((w) => ({ id: w.id, attempt: w.attempt, progress: Math.max(0, Math.min(100, Math.round(w.progress))), message: w.message }));
  const { rows } = await sql<{ id: string }>`
    update tasks
       set status = 'PROGRESS', progress = i.progress, message = i.message, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as i(id uuid, attempt int, progress smallint, message text)
     where tasks.id = i.id and tasks.attempt = i.attempt and tasks.status in ('STARTED', 'PROGRESS')
 returning tasks.id`.execute(db);
  const applied = new Set(rows.map((r) => r.id));
  return writes.map((w) => applied.has(w.id));
}

/** Records progress of a running attempt; false when the attempt no longer owns the task. */
export async function recordProgress(db: Db, ref: ProgressWrite): Promise<boolean> {
  const [applied] = await recordProgressMany(db, [ref]);
  return applied!;
}

/**
 * The shared shape of every outcome write: one statement that updates the task by
 * compare-and-set, closes the attempt's history row with `outcome`, and, for a final
 * failure, files the dead letter. Returns whether the compare-and-set matched.
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
    with t as (
      update tasks set ${change.set}, updated_at = now()
       where id = ${ref.id} and attempt = ${ref.attempt} and status in ('STARTED', 'PROGRESS')
   returning id, tenant_id, task, queue, attempt
    ), a as (
      update task_attempts set finished_at = now(), outcome = ${change.outcome}, error = ${error}::jsonb
        from t where task_attempts.task_id = t.id and task_attempts.attempt = t.attempt
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
 * Ends attempts in SUCCESS with their results, in one statement that also closes their
 * history rows; one boolean per write, in order: false when that attempt no longer owns its
 * task. At most one write per task.
 */
export async function completeTasks(db: Db, writes: CompletionWrite[]): Promise<boolean[]> {
  if (writes.length === 0) return [];
  const input = writes.map((w) => ({ id: w.id, attempt: w.attempt, result: w.result ?? null, retention_ms: w.retentionMs, message: w.message ?? 'Task completed' }));
  const { rows } = await sql<{ id: string }>`
    with i as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as i(id uuid, attempt int, result jsonb, retention_ms bigint, message text)
    ), t as (
      update tasks
         set status = 'SUCCESS', progress = 100, result = i.result, error = null, message = i.message,
             finished_at = now(), updated_at = now(), expires_at = now() + i.retention_ms * interval '1 millisecond'
        from i
       where tasks.id = i.id and tasks.attempt = i.attempt and tasks.status in ('STARTED', 'PROGRESS')
   returning tasks.id, tasks.attempt
    ), a as (
      update task_attempts set finished_at = now(), outcome = 'success', error = null
        from t where task_attempts.task_id = t.id and task_attempts.attempt = t.attempt
    )
    select id from t`.execute(db);
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

/**
 * Closes an attempt's history row whose task moved on without it (revoked meanwhile, or
 * fenced by a newer attempt). Touches only the history, never the task.
 */
export async function closeAttempt(db: Db, ref: AttemptRef & { outcome: AttemptOutcome; error?: TaskErrorValue }): Promise<void> {
  await db
    .updateTable('task_attempts')
    .set({ finished_at: sql`now()`, outcome: ref.outcome, error: ref.error ? JSON.stringify(ref.error) : null })
    .where('task_id', '=', ref.id)
    .where('attempt', '=', ref.attempt)
    .where('finished_at', 'is', null)
    .execute();
}
