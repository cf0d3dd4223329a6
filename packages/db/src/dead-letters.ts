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
  /** The error's code, or its type when it has none (see errorCodeOf). */
  errorCode?: string;
  /** Only those the tenant has not discarded (acknowledged): what tenant routes see. */
  openOnly?: boolean;
}

/**
 * A dead letter's error code: the error's `code` (a stable reason such as PLAN_LIMIT_REACHED),
 * or its `type` when it has none. Listings filter and group by it.
 */
export const errorCodeOf = sql<string>`coalesce(dead_letters.error->>'code', dead_letters.error->>'type', 'unknown')`;

/** A dead letter with its task's payload (the tenant's own listing shows it). */
export type DeadLetterWithPayload = DeadLetterRow & { payload: unknown };

/** A page of dead letters, newest first. */
export async function listDeadLetters(
  db: Db,
  query: Pick<DeadLetterFilter, 'task' | 'tenantId' | 'errorCode' | 'openOnly'> & { after?: { createdAt: string; id: string }; limit: number },
): Promise<{ rows: DeadLetterRow[]; next?: string }> {
  let q = db.selectFrom('dead_letters').selectAll().select(cursorText('failed_at').as('cursor_at'));
  if (query.task) q = q.where('task', '=', query.task);
  if (query.tenantId) q = q.where('tenant_id', '=', query.tenantId);
  if (query.errorCode) q = q.where(errorCodeOf, '=', query.errorCode);
  if (query.openOnly) q = q.where('acknowledged_at', 'is', null);
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
      if (filter.errorCode) pick = pick.where(errorCodeOf, '=', filter.errorCode);
      if (filter.openOnly) pick = pick.where('acknowledged_at', 'is', null);
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

/**
 * Puts FAILURE tasks back to PENDING with more attempts allowed, each with a new payload when
 * given one (an edited replay); returns those it moved.
 */
async function requeueFailed(db: Db, tasks: { id: string; extraAttempts: number; payload?: unknown }[], by: RequeueKind): Promise<Requeued[]> {
  if (tasks.length === 0) return [];
  const values = sql.join(
    tasks.map((t) => sql`(${t.id}::uuid, ${t.extraAttempts}::int, ${t.payload === undefined ? null : JSON.stringify(t.payload)}::jsonb)`),
  );
  const { rows } = await sql<Requeued>`
    update tasks
       set status = 'PENDING', payload = coalesce(v.payload, tasks.payload), error = null, result = null, progress = 0, finished_at = null, expires_at = null,
           next_attempt_at = null, run_at = null, max_attempts = tasks.attempt + v.extra, replayed_at_attempt = tasks.attempt,
           requeued_by = ${by},
           message = 'Replayed after failure', updated_at = now()
      from (values ${values}) as v(id, extra, payload)
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

/** One of a tenant's open dead letters with its task's payload; undefined when there is none (another tenant's included). */
export async function findOpenDeadLetter(db: Db, tenantId: string, taskId: string): Promise<DeadLetterWithPayload | undefined> {
  return db
    .selectFrom('dead_letters')
    .innerJoin('tasks', 'tasks.id', 'dead_letters.task_id')
    .selectAll('dead_letters')
    .select('tasks.payload')
    .where('dead_letters.task_id', '=', taskId)
    .where('dead_letters.tenant_id', '=', tenantId)
    .where('dead_letters.acknowledged_at', 'is', null)
    .executeTakeFirst();
}

/** The payloads of these tasks, by id (a tenant's listing shows each dead letter's). */
export async function payloadsOf(db: Db, tenantId: string, taskIds: string[]): Promise<Map<string, unknown>> {
  if (taskIds.length === 0) return new Map();
  const rows = await db.selectFrom('tasks').select(['id', 'payload']).where('tenant_id', '=', tenantId).where('id', 'in', taskIds).execute();
  return new Map(rows.map((r) => [r.id, r.payload]));
}

/** A tenant's open dead letters grouped by task and error code, the largest group first. */
export async function deadLetterGroups(db: Db, tenantId: string): Promise<{ task: string; error_code: string; count: number; last_failed_at: Date }[]> {
  const rows = await db
    .selectFrom('dead_letters')
    .select(['task', errorCodeOf.as('error_code')])
    .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.max('failed_at').as('last_failed_at')])
    .where('tenant_id', '=', tenantId)
    .where('acknowledged_at', 'is', null)
    .groupBy(['task', sql`2`])
    .orderBy('count', 'desc')
    .orderBy('task')
    .orderBy(sql`2`)
    .limit(1000)
    .execute();
  return rows.map((r) => ({ task: r.task, error_code: r.error_code, count: Number(r.count), last_failed_at: r.last_failed_at as Date }));
}

/**
 * Replays one of a tenant's open dead letters, with a new payload when given (already checked
 * against the task's contract); undefined when it is no longer an open dead letter of theirs.
 */
export async function replayDeadLetter(
  db: Db,
  input: { tenantId: string; taskId: string; payload?: unknown },
  policies: TaskPolicies,
): Promise<Requeued | undefined> {
  return db.transaction().execute(async (trx) => {
    const letter = await trx
      .deleteFrom('dead_letters')
      .where('task_id', '=', input.taskId)
      .where('tenant_id', '=', input.tenantId)
      .where('acknowledged_at', 'is', null)
      .returning(['task_id', 'task'])
      .executeTakeFirst();
    if (!letter) return undefined;
    const [requeued] = await requeueFailed(
      trx,
      [{ id: letter.task_id, extraAttempts: attemptBudget(policies, letter.task), payload: input.payload }],
      'replay',
    );
    return requeued;
  });
}

/**
 * Discards (acknowledges) one of a tenant's open dead letters: it is no longer listed, grouped
 * or replayed in bulk, and its task stays FAILURE (still retried by POST /tasks/{id}/retry).
 * The row stays until the dead-letter retention deletes it with its task. False when there is
 * no open one of theirs.
 */
export async function acknowledgeDeadLetter(db: Db, tenantId: string, taskId: string): Promise<boolean> {
  const result = await db
    .updateTable('dead_letters')
    .set({ acknowledged_at: sql`now()` })
    .where('task_id', '=', taskId)
    .where('tenant_id', '=', tenantId)
    .where('acknowledged_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
