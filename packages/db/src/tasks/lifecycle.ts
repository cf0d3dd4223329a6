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
 * Starts a new attempt: one statement moves a claimable task to STARTED and bumps its
 * attempt number, closes an earlier attempt that never finished (its worker died) as
 * `lost`, and opens the new attempt's history row. Returns undefined when the task is
 * finished, revoked or unknown, so a duplicate delivery never runs it again. A task already
 * STARTED is claimable because BullMQ only redelivers an active job once its lock lapsed,
 * that is, once the earlier attempt is presumed dead; the new attempt number fences it off.
 */
export async function claimTask(db: Db, id: string): Promise<Claim | undefined> {
  const { rows } = await sql<Claim>`
    with claimed as (
      update tasks
         set status = 'STARTED', attempt = attempt + 1, progress = 0, message = null,
             started_at = now(), updated_at = now(), next_attempt_at = null
       where id = ${id} and status in ('PENDING', 'RETRY', 'STARTED', 'PROGRESS')
   returning id, tenant_id, task, queue, payload, attempt, max_attempts
    ), lost as (
      update task_attempts set finished_at = now(), outcome = 'lost'
        from claimed
       where task_attempts.task_id = claimed.id and task_attempts.finished_at is null
    ), opened as (
      insert into task_attempts (task_id, attempt) select id, attempt from claimed
    )
    select * from claimed`.execute(db);
  return rows[0];
}

/** Records progress of a running attempt; false when the attempt no longer owns the task. */
export async function recordProgress(db: Db, ref: AttemptRef & { progress: number; message: string | null }): Promise<boolean> {
  const progress = Math.max(0, Math.min(100, Math.round(ref.progress)));
  const result = await db
    .updateTable('tasks')
    .set({ status: 'PROGRESS', progress, message: ref.message, updated_at: sql`now()` })
    .where('id', '=', ref.id)
    .where('attempt', '=', ref.attempt)
    .where('status', 'in', ['STARTED', 'PROGRESS'])
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
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

/** Ends the attempt in SUCCESS with its result; false when it no longer owns the task. */
export function completeTask(db: Db, ref: AttemptRef & { result: unknown; retentionMs: number; message?: string }): Promise<boolean> {
  return finishAttempt(db, ref, {
    outcome: 'success',
    set: sql`status = 'SUCCESS', progress = 100, result = ${JSON.stringify(ref.result ?? null)}::jsonb, error = null,
             message = ${ref.message ?? 'Task completed'}, finished_at = now(), expires_at = ${interval(ref.retentionMs)}`,
  });
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
