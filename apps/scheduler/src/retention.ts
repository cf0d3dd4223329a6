import type { CostTracker } from '@conveyor/cost-tracker';
import {
  type Database,
  deleteExpiredConsoleSessions,
  deleteExpiredTasks,
  deleteExpiredTaskTokens,
  deleteIngestionRunsOlderThan,
  deleteOldDeadLetters,
  failLostIngestionRuns,
} from '@conveyor/db';
import type { Kysely } from 'kysely';

const BATCH = 5000;

/** Repeats a batched delete until a batch comes back short; returns how many rows went. */
async function drain(deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  let deleted: number;
  do {
    deleted = await deleteBatch();
    total += deleted;
  } while (deleted === BATCH);
  return total;
}

export interface RetentionDays {
  deadLetters: number;
  /** Finished ingestion runs (the audit trail); ingested records are kept. */
  ingestionRuns: number;
}

/**
 * Deletes finished tasks past their retention (ingestion tasks included: 24 h, like every
 * task), dead letters (with their tasks) and ingestion runs past theirs, and expired task
 * tokens and console sessions, in batches so no single statement holds locks for long; frees the budget
 * reservations of workers that died mid-call.
 */
export async function runRetention(
  db: Kysely<Database>,
  days: RetentionDays,
  costs?: CostTracker,
): Promise<{ expired: number; deadLetters: number; ingestionRuns: number; taskTokens: number; consoleSessions: number; reservationsFreed: number }> {
  const expired = await drain(() => deleteExpiredTasks(db, BATCH));
  const deadLetters = await drain(() => deleteOldDeadLetters(db, days.deadLetters, BATCH));
  // A run still open an hour after it started outlived every time limit: its worker was lost.
  await failLostIngestionRuns(db, { startedBeforeMinutes: 60 });
  const ingestionRuns = await drain(() => deleteIngestionRunsOlderThan(db, days.ingestionRuns, BATCH));
  const taskTokens = await drain(() => deleteExpiredTaskTokens(db, BATCH));
  const consoleSessions = await drain(() => deleteExpiredConsoleSessions(db, BATCH));
  const reservationsFreed = costs ? await costs.expireStale() : 0;
  return { expired, deadLetters, ingestionRuns, taskTokens, consoleSessions, reservationsFreed };
}
