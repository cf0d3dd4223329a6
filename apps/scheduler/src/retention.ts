import type { CostTracker } from '@conveyor/cost-tracker';
import { type Database, deleteExpiredTasks, deleteOldDeadLetters } from '@conveyor/db';
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

/**
 * Deletes finished tasks past their retention, and dead letters (with their tasks) past
 * theirs, in batches so no single statement holds locks for long; frees the budget
 * reservations of workers that died mid-call.
 */
export async function runRetention(
  db: Kysely<Database>,
  deadLetterDays: number,
  costs?: CostTracker,
): Promise<{ expired: number; deadLetters: number; reservationsFreed: number }> {
  const expired = await drain(() => deleteExpiredTasks(db, BATCH));
  const deadLetters = await drain(() => deleteOldDeadLetters(db, deadLetterDays, BATCH));
  const reservationsFreed = costs ? await costs.expireStale() : 0;
  return { expired, deadLetters, reservationsFreed };
}
