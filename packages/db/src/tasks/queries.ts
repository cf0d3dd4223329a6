import { TERMINAL_STATUSES, type TaskStatus, isTerminal } from '@conveyor/contracts';
import { type Kysely, type RawBuilder, sql } from 'kysely';
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
  queue?: string;
  scheduleId?: string;
  /** The payload's campaign_id. */
  campaignId?: string;
  /** Every one must be among the task's tags. */
  tags?: string[];
  /** ISO instants: created at or after, and before. */
  createdAfter?: string;
  createdBefore?: string;
  after?: { createdAt: string; id: string };
  limit: number;
}

/**
 * Tasks in any of `statuses`, as the indexes can find them: an ended status by final_status
 * (tasks_tenant_final_created, migration 0020), an open one within the tenant's open tasks
 * (final_status is null: tasks_open, migration 0023), whose status only the row knows.
 */
export function statusFilter(statuses: readonly TaskStatus[]): RawBuilder<boolean> {
  const ended = statuses.filter(isTerminal);
  const open = statuses.filter((s) => !isTerminal(s));
  const endedSql = sql<boolean>`final_status in (${sql.join(ended)})`;
  const openSql = sql<boolean>`(final_status is null and status in (${sql.join(open)}))`;
  if (open.length === 0) return endedSql;
  if (ended.length === 0) return openSql;
  return sql<boolean>`(${endedSql} or ${openSql})`;
}

/**
 * The ranges that hold every task of a tenant: each ended status in tasks_tenant_final_created,
 * and the open tasks (final_status null) in tasks_open, read backward. Each is in (created_at
 * desc, id desc) order.
 */
const FINAL_STATUS_RANGES = [...TERMINAL_STATUSES.map((status) => sql<boolean>`final_status = ${sql.lit(status)}`), sql<boolean>`final_status is null`];

/**
 * A page of a tenant's tasks, newest first (keyset pagination). Each filter has an index that
 * starts with the tenant and ends in (created_at desc, id desc) (migration 0014), so a
 * filtered page is read in order; tags use the GIN index. Without a filter the page is merged
 * from the ranges of tasks_tenant_final_created, one per ended status, and the tenant's range
 * of tasks_open, each read in order up to the page's size (migration 0022 dropped the tenant's
 * own (created_at, id) index, which cost every task an index entry at its insert and another
 * at its end). No per-row subquery:
 * the list stays as cheap as the rows it reads.
 */
export async function listTasksForTenant(db: Db, tenantId: string, query: ListTasksQuery): Promise<{ rows: TaskRow[]; next?: string }> {
  let q = db.selectFrom('tasks').selectAll().select(createdAtText.as('cursor_at')).where('tenant_id', '=', tenantId);
  if (query.createdAfter) q = q.where('created_at', '>=', query.createdAfter as never);
  if (query.createdBefore) q = q.where('created_at', '<', query.createdBefore as never);
  if (query.after) q = q.where(afterCursor(query.after));
  const filtered = query.status?.length || query.task || query.queue || query.scheduleId || query.campaignId || query.tags?.length;
  if (query.status?.length) q = q.where(statusFilter(query.status));
  if (query.task) q = q.where('task', '=', query.task);
  if (query.queue) q = q.where('queue', '=', query.queue);
  if (query.scheduleId) q = q.where('schedule_id', '=', query.scheduleId);
  // Both conditions as the partial expression index states them, so the planner can use it.
  if (query.campaignId) q = q.where(sql<boolean>`payload ? 'campaign_id'`).where(sql<boolean>`payload->>'campaign_id' = ${query.campaignId}`);
  // The GIN index holds tagged tasks only (cardinality > 0), which the planner must be told.
  if (query.tags?.length) q = q.where(sql<boolean>`cardinality(tags) > 0`).where(sql<boolean>`tags @> ${sql.val(query.tags)}::text[]`);
  const newestFirst = <T extends typeof q>(page: T) =>
    page
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
  const rows = filtered
    ? await newestFirst(q).execute()
    : (
        await sql<TaskRow & { cursor_at: string }>`
          select * from (${sql.join(
            FINAL_STATUS_RANGES.map((range) => sql`(${newestFirst(q.where(range))})`),
            sql` union all `,
          )}) page
           order by created_at desc, id desc
           limit ${query.limit + 1}`.execute(db)
      ).rows;
  return pageOf(rows, query.limit, (row) => row.id);
}
