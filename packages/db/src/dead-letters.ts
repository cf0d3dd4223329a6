import type { RequeueKind, TaskPolicies } from '@conveyor/contracts';
import { type Kysely, sql } from 'kysely';
import type { Database, DeadLetterRow } from './schema';
import { afterCursor, cursorText, pageOf } from './cursor';
import { attemptBudget } from './tasks/task-row';

type Db = Kysely<Database>;

export interface DeadLetterFilter {
  task?: string;
  tenantId?: string;
  failedAfter?: string;
  taskIds?: string[];
}

/** A page of dead letters, newest first. */
export async function listDeadLetters(
  db: Db,
  query: { task?: string; tenantId?: string; after?: { createdAt: string; id: string }; limit: number },
): Promise<{ rows: DeadLetterRow[]; next?: string }> {
  let q = db.selectFrom('dead_letters').selectAll().select(cursorText('failed_at').as('cursor_at'));
  if (query.task) q = q.where('task', '=', query.task);
  if (query.tenantId) q = q.where('tenant_id', '=', query.tenantId);
  if (query.after) q = q.where(afterCursor(query.after, 'failed_at', 'task_id'));
  const rows = await q
    .orderBy('failed_at', 'desc')
    .orderBy('task_id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return pageOf(rows, query.limit, (row) => row.task_id);
}

/** A task put back to PENDING, ready to enqueue. */
export interface Requeued {
  id: string;
  task: string;
  queue: string;
  priority: number;
}

/**
 * Replays failed tasks: each leaves the dead-letter table and goes back to PENDING with a
 * fresh budget of attempts (what a new task gets: attemptBudget), in one statement per batch.
 * Works in batches of `batchSize` so replaying "all" never holds one enormous transaction.
 */
export async function replayDeadLetters(db: Db, filter: DeadLetterFilter, policies: TaskPolicies, batchSize = 1000): Promise<Requeued[]> {
  const replayed: Requeued[] = [];
  for (;;) {
    const batch = await db.transaction().execute(async (trx) => {
      let pick = trx.selectFrom('dead_letters').select(['task_id', 'task']).orderBy('failed_at').limit(batchSize);
      if (filter.task) pick = pick.where('task', '=', filter.task);
      if (filter.tenantId) pick = pick.where('tenant_id', '=', filter.tenantId);
      if (filter.failedAfter) pick = pick.where('failed_at', '>', new Date(filter.failedAfter));
      if (filter.taskIds) pick = pick.where('task_id', 'in', filter.taskIds);
      const picked = await pick.forUpdate().skipLocked().execute();
      if (picked.length === 0) return [];
      await trx
        .deleteFrom('dead_letters')
        .where(
          'task_id',
          'in',
          picked.map((p) => p.task_id),
        )
        .execute();
      return requeueFailed(
        trx,
        picked.map((p) => ({ id: p.task_id, extraAttempts: attemptBudget(policies, p.task) })),
        'replay',
      );
    });
    replayed.push(...batch);
    if (batch.length < batchSize || filter.taskIds) return replayed;
  }
}

/** Puts FAILURE tasks back to PENDING with more attempts allowed; returns those it moved. */
async function requeueFailed(db: Db, tasks: { id: string; extraAttempts: number }[], by: RequeueKind): Promise<Requeued[]> {
  if (tasks.length === 0) return [];
  const values = sql.join(tasks.map((t) => sql`(${t.id}::uuid, ${t.extraAttempts}::int)`));
  const { rows } = await sql<Requeued>`
    update tasks
       set status = 'PENDING', error = null, result = null, progress = 0, finished_at = null, expires_at = null,
           next_attempt_at = null, run_at = null, max_attempts = tasks.attempt + v.extra, replayed_at_attempt = tasks.attempt,
           requeued_by = ${by},
           message = 'Replayed after failure', updated_at = now()
      from (values ${values}) as v(id, extra)
     where tasks.id = v.id and tasks.status = 'FAILURE'
 returning tasks.id, tasks.task, tasks.queue, tasks.priority`.execute(db);
  return rows;
}

/** Replays one of a tenant's own failed tasks; undefined when it is not theirs or not FAILURE. */
export async function retryFailedTask(db: Db, id: string, tenantId: string, policies: TaskPolicies): Promise<Requeued | undefined> {
  return db.transaction().execute(async (trx) => {
    const owned = await trx
      .selectFrom('tasks')
      .select(['id', 'task'])
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'FAILURE')
      .forUpdate()
      .executeTakeFirst();
    if (!owned) return undefined;
    await trx.deleteFrom('dead_letters').where('task_id', '=', id).execute();
    const [requeued] = await requeueFailed(trx, [{ id, extraAttempts: attemptBudget(policies, owned.task) }], 'retry');
    return requeued;
  });
}
