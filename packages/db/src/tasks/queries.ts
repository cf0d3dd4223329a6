import type { TaskStatus } from '@conveyor/contracts';
import { type Kysely, sql } from 'kysely';
import type { AttemptRecord, Database, TaskRow } from '../schema';

type Db = Kysely<Database>;

/** A tenant's task; another tenant's task is indistinguishable from a missing one. */
export async function findTaskForTenant(db: Db, id: string, tenantId: string): Promise<TaskRow | undefined> {
  return db.selectFrom('tasks').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
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

// Postgres keeps microseconds and a JS Date only milliseconds, so the cursor carries the
// timestamp as Postgres prints it; comparing with a truncated one would skip or repeat rows.
const createdAtText = sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CURSOR = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** True when the fields name a real UTC time (no 30 February, no hour 25, no year 0). */
function isRealTime(fields: string[]): boolean {
  const [year, month, day, hour, minute, second] = fields.map(Number) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}

/** An opaque position in a newest-first listing: the last row's (created_at, id). */
export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

/**
 * The position a cursor names, or undefined when it is not one of ours: only a real time and
 * a UUID pass, so whatever decodes is a position Postgres takes (a forged one is a 400, not
 * a failed cast).
 */
export function decodeCursor(cursor: string): { createdAt: string; id: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = CURSOR.exec(text);
  if (!match || !isRealTime(match.slice(1, 7))) return undefined;
  const [createdAt, id] = text.split('|') as [string, string];
  return { createdAt, id };
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
  if (query.after) {
    const { createdAt, id } = query.after;
    q = q.where(sql<boolean>`(created_at, id) < (${createdAt}::timestamptz, ${id}::uuid)`);
  }
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit).map(({ cursor_at: _c, ...row }) => row);
  const last = rows[query.limit - 1];
  return { rows: page, next: rows.length > query.limit && last ? encodeCursor(last.cursor_at, last.id) : undefined };
}
