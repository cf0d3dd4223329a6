import type { AttemptOutcome } from '../schema';

// SQL text shared by the statements that change a task's state.

// Status tests name the states a row must NOT be in. With the check constraint on status that
// means the same, but no index matches such a test, so the planner finds rows by primary key.
// (When an index on status existed, "status in (...)" also scanned it, whose statistics lag
// behind a queue that fills and drains within seconds: measured, a claim of 50 tasks scanned
// all 30,000 queued ones. Since migration 0020 no index reads status at all, so that the
// writes before a task's end are heap-only; see final_status.)

/** A task that has not finished: PENDING, RETRY, STARTED or PROGRESS. */
export const UNFINISHED_TEXT = `status not in ('SUCCESS', 'FAILURE', 'REVOKED')`;
/** A task an attempt is running: STARTED or PROGRESS. */
export const RUNNING_TEXT = `status not in ('PENDING', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED')`;

/**
 * SQL for the row's running attempt appended to its attempt_history, ending now. `outcome` is
 * one of ours (written as a literal); `errorSql` is an SQL expression of the error (jsonb).
 * Inside an UPDATE's SET, the row's columns are the values before the update.
 */
export const appendAttempt = (outcome: AttemptOutcome, errorSql = 'null::jsonb') =>
  `tasks.attempt_history || jsonb_build_array(jsonb_build_object(
     'attempt', tasks.attempt, 'started_at', tasks.started_at, 'finished_at', now(), 'outcome', '${outcome}', 'error', ${errorSql},
     'worker', tasks.worker))`;
