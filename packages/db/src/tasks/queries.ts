import type { TaskStatus } from '@conveyor/contracts';
import type { Kysely } from 'kysely';
import { afterCursor, createdAtText, pageOf } from '../cursor';
import type { AttemptRecord, Database, TaskRow } from '../schema';

type Db = Kysely<Database>;

/** A tenant's task; another tenant's task is indistinguishable from a missing one. */
export async function findTaskForTenant(db: Db, id: string, tenantId: string): Promise<TaskRow | undefined> {
  return db.selectFrom('tasks').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
}

/** A tenant's task by the idempotency key it was submitted with (unique per tenant, indexed). */
export async function findTaskByIdempotencyKey(db: Db, tenantId: string, key: string): Promise<TaskRow | undefined> {
  return db.selectFrom('tasks').selectAll().where('tenant_id', '=', tenantId).where('idempotency_key', '=', key).executeTakeFirst();
}

/** A task by id, whoever owns it (workers, admin and maintenance only). */
export async function findTask(db: Db, id: string): Promise<TaskRow | undefined> {
  return db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The tasks with these ids that exist, whoever owns them (the API's live-event poll). */
export async function findTasks(db: Db, ids: string[]): Promise<TaskRow[]> {
  return ids.length ? db.selectFrom('tasks').selectAll().where('id', 'in', ids).execute() : [];
}

/**
 * Every attempt of a task, first to last: the finished ones from its attempt_history, then
 * the one running now (outcome `running`), if any.
 */
export function attemptsOf(row: Pick<TaskRow, 'attempt_history' | 'status' | 'attempt' | 'started_at'>): AttemptRecord[] {
  const finished = row.attempt_history ?? [];
  if ((row.status !== 'STARTED' && row.status !== 'PROGRESS') || !row.started_at) return finished;
  return [...finished, { attempt: row.attempt, started_at: row.started_at.toISOString(), finished_at: null, outcome: 'running', error: null }];
}

export interface ListTasksQuery {
  status?: TaskStatus[];
  task?: string;
  scheduleId?: string;
  after?: { createdAt: string; id: string };
  limit: number;
}

/** A page of a tenant's tasks, newest first (keyset pagination on the tenant's index). */
export async function listTasksForTenant(db: Db, tenantId: string, query: ListTasksQuery): Promise<{ rows: TaskRow[]; next?: string }> {
  let q = db.selectFrom('tasks').selectAll().select(createdAtText.as('cursor_at')).where('tenant_id', '=', tenantId);
  if (query.status?.length) q = q.where('status', 'in', query.status);
  if (query.task) q = q.where('task', '=', query.task);
  if (query.scheduleId) q = q.where('schedule_id', '=', query.scheduleId);
  if (query.after) q = q.where(afterCursor(query.after));
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return pageOf(rows, query.limit, (row) => row.id);
}
