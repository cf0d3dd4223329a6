import { RUNNING_STATUSES, type TaskStatus } from '@conveyor/contracts';
import { type Kysely, type UpdateObject, sql } from 'kysely';
import type { Database, NewTask, TaskRow } from './schema';

type Db = Kysely<Database>;

/** States from which a delivery of the task's job may start a new attempt. */
const CLAIMABLE: TaskStatus[] = ['PENDING', 'RETRY', ...RUNNING_STATUSES];

/** Commits a new task row in PENDING. */
export async function insertTask(db: Db, task: Omit<NewTask, 'payload'> & { payload: unknown }): Promise<TaskRow> {
  return db
    .insertInto('tasks')
    .values({ ...task, payload: JSON.stringify(task.payload) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Undoes an accepted-but-not-enqueued submission. Only a task that no worker has touched
 * is removed, so a job that did reach Redis after all finds no row and is dropped.
 */
export async function deleteUnstartedTask(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('tasks').where('id', '=', id).where('status', '=', 'PENDING').where('attempt', '=', 0).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** A tenant's task; another tenant's task is indistinguishable from a missing one. */
export async function findTaskForTenant(db: Db, id: string, tenantId: string): Promise<TaskRow | undefined> {
  return db.selectFrom('tasks').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
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

/**
 * Starts a new attempt: one compare-and-set that moves a claimable task to STARTED and bumps
 * its attempt number. Returns undefined when the task is finished (or unknown), so a
 * duplicate delivery of a finished task never runs it again. A task already STARTED is
 * claimable because BullMQ only redelivers an active job once its lock has lapsed, that is,
 * once the earlier attempt is presumed dead; bumping the attempt fences that attempt off.
 */
export async function claimTask(db: Db, id: string): Promise<Claim | undefined> {
  return db
    .updateTable('tasks')
    .set({
      status: 'STARTED',
      attempt: sql`attempt + 1`,
      progress: 0,
      message: null,
      started_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('status', 'in', CLAIMABLE)
    .returning(['id', 'tenant_id', 'task', 'queue', 'payload', 'attempt', 'max_attempts'])
    .executeTakeFirst();
}

interface AttemptRef {
  id: string;
  attempt: number;
}

/**
 * The one way a running attempt changes its task: `UPDATE … WHERE id AND attempt AND status
 * in (running)`. A stale attempt (a newer one has claimed the task) or a finished task
 * matches no row, and the write is refused. Returns whether it was applied.
 */
async function transitionRunning(db: Db, ref: AttemptRef, set: UpdateObject<Database, 'tasks'>): Promise<boolean> {
  const result = await db
    .updateTable('tasks')
    .set({ ...set, updated_at: sql`now()` })
    .where('id', '=', ref.id)
    .where('attempt', '=', ref.attempt)
    .where('status', 'in', RUNNING_STATUSES)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export function recordProgress(db: Db, ref: AttemptRef & { progress: number; message: string | null }): Promise<boolean> {
  const progress = Math.max(0, Math.min(100, Math.round(ref.progress)));
  return transitionRunning(db, ref, { status: 'PROGRESS', progress, message: ref.message });
}

export function completeTask(db: Db, ref: AttemptRef & { result: unknown; message?: string }): Promise<boolean> {
  return transitionRunning(db, ref, {
    status: 'SUCCESS',
    progress: 100,
    result: JSON.stringify(ref.result ?? null),
    error: null,
    message: ref.message ?? 'Task completed',
    finished_at: sql`now()`,
  });
}

export function failTask(db: Db, ref: AttemptRef & { error: { type: string; message: string } }): Promise<boolean> {
  return transitionRunning(db, ref, {
    status: 'FAILURE',
    error: JSON.stringify(ref.error),
    message: ref.error.message,
    finished_at: sql`now()`,
  });
}
