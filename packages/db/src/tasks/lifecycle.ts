import { type Kysely, type RawBuilder, sql } from 'kysely';
import { RUNNING_TEXT, appendAttempt } from './status-sql';
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
  /** Attempts of this task lost with their worker since it was last replayed (the one just ended included). */
  lost_attempts: number;
}

const interval = (ms: number) => sql`now() + ${ms} * interval '1 millisecond'`;

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
       where id = ${ref.id} and attempt = ${ref.attempt} and ${sql.raw(RUNNING_TEXT)}
   returning id, tenant_id, task, queue, attempt
    )${deadLetter}
    select id from t`.execute(db);
  return rows.length > 0;
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
 * Puts a running task off for a reason outside it (a provider's rate-limit window): RETRY
 * after delayMs with one more attempt allowed, so the wait spends none of its attempts.
 */
export function deferTask(db: Db, ref: AttemptRef & { reason: string; delayMs: number }): Promise<boolean> {
  return finishAttempt(db, ref, {
    outcome: 'deferred',
    set: sql`status = 'RETRY', max_attempts = max_attempts + 1, next_attempt_at = ${interval(ref.delayMs)},
             message = ${`Deferred, no attempt spent: ${ref.reason}`.slice(0, 2000)}`,
  });
}
