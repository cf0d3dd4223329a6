import type { Kysely } from 'kysely';
import { runPrepared } from '../connect';
import type { Database, TaskRow } from '../schema';
import { taskColumns } from './task-columns';
import type { TaskInsert } from './task-row';

type Db = Kysely<Database>;

// One fixed text for any number of rows (they come as one jsonb array), so it runs as a
// prepared statement: planned once per connection. Every origin's rows go through it. It
// returns its columns by name, never `*`: see task-columns.ts.
const insertTasksText = (onConflict: string) => `
insert into tasks (id, tenant_id, task, queue, payload, max_attempts, priority, run_at, idempotency_key, schedule_id, planned_at, tags, metadata, origin)
select t.id, t.tenant_id, t.task, t.queue, t.payload, t.max_attempts, coalesce(t.priority, 0),
       case when t.delay_ms > 0 then now() + t.delay_ms * interval '1 millisecond' end, t.idempotency_key, t.schedule_id, t.planned_at,
       coalesce(t.tags, '{}'), t.metadata, coalesce(t.origin, 'api')
  from jsonb_to_recordset($1::jsonb)
    as t(id uuid, tenant_id uuid, task text, queue text, payload jsonb, max_attempts int, priority int, delay_ms bigint,
         idempotency_key text, schedule_id uuid, planned_at timestamptz, tags text[], metadata jsonb, origin text)
${onConflict}returning ${taskColumns()}`;

// With no conflict target, a row that repeats a unique key (a tenant's idempotency key, a
// schedule's (schedule_id, planned_at)) is skipped rather than failing its statement.
const INSERT_TASKS_SKIPPING_TWINS = insertTasksText('on conflict do nothing\n');
// Rows with neither key can only repeat a fresh random id: a plain insert, which spares every
// row the speculative insertion of ON CONFLICT (a probe of each unique index before the
// insert and a confirmation record in the WAL after it).
const INSERT_TASKS = insertTasksText('');

/**
 * Inserts task rows (built by taskRow) in one statement and returns those inserted; a row
 * whose idempotency key or schedule fire exists already is left out. Runs in a transaction
 * when given one.
 */
export function createTasks(db: Db, tasks: TaskInsert[]): Promise<TaskRow[]> {
  if (tasks.length === 0) return Promise.resolve([]);
  const input = tasks.map((t) => ({ ...t, payload: t.payload ?? null }));
  const mayRepeat = tasks.some((t) => t.idempotency_key != null || t.schedule_id != null);
  return mayRepeat
    ? runPrepared<TaskRow>(db, 'conveyor_insert_tasks_v6', INSERT_TASKS_SKIPPING_TWINS, [JSON.stringify(input)])
    : runPrepared<TaskRow>(db, 'conveyor_insert_new_tasks_v2', INSERT_TASKS, [JSON.stringify(input)]);
}

/** One inserted (or, with an idempotency key, found) task, in the order submitted. */
export interface Submitted {
  row: TaskRow;
  /** False when the idempotency key matched a task the tenant had already submitted. */
  created: boolean;
}

/**
 * Commits submitted tasks in one INSERT (createTasks). A task whose idempotency key the tenant
 * has used before is not inserted again; the existing task is returned instead, so any number
 * of concurrent submissions with one key make one task.
 */
export async function insertTasks(db: Db, tasks: TaskInsert[]): Promise<Submitted[]> {
  if (tasks.length === 0) return [];
  const inserted = await createTasks(db, tasks);
  const byId = new Map(inserted.map((row) => [row.id, row]));
  const missing = tasks.filter((t) => !byId.has(t.id));
  const existing = new Map<string, TaskRow>();
  if (missing.length) {
    // Only tasks with a key can be missing: they lost to an earlier (or concurrent, now committed) twin.
    const rows = await db
      .selectFrom('tasks')
      .selectAll()
      .where('tenant_id', 'in', [...new Set(missing.map((t) => t.tenant_id))])
      .where(
        'idempotency_key',
        'in',
        missing.map((t) => t.idempotency_key!),
      )
      .execute();
    for (const row of rows) existing.set(`${row.tenant_id}\u0000${row.idempotency_key}`, row);
  }
  return tasks.map((t) => {
    const row = byId.get(t.id);
    if (row) return { row, created: true };
    const twin = existing.get(`${t.tenant_id}\u0000${t.idempotency_key}`);
    if (!twin) throw new Error(`task ${t.id} was neither inserted nor found by its idempotency key`);
    return { row: twin, created: false };
  });
}

/** Commits one task; see insertTasks. */
export async function insertTask(db: Db, task: TaskInsert): Promise<TaskRow> {
  const [submitted] = await insertTasks(db, [task]);
  return submitted!.row;
}

/**
 * Undoes accepted-but-not-enqueued submissions. Only tasks that no worker has touched are
 * removed, so a job that did reach Redis after all finds no row and is dropped.
 */
export async function deleteUnstartedTasks(db: Db, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db.deleteFrom('tasks').where('id', 'in', ids).where('status', '=', 'PENDING').where('attempt', '=', 0).executeTakeFirst();
  return Number(result.numDeletedRows);
}
