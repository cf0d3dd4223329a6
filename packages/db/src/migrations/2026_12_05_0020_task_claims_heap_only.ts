import { type Kysely, sql } from 'kysely';

// Frozen: every write of a task that is not its end (the claim, progress, a retry, a release)
// becomes a heap-only (HOT) update, which adds no entry to any index (issue 21).
//
// Postgres can update a row in place only when no column an index reads (key, expression or
// predicate) changes, and the new version fits on the same page. Three indexes read `status`
// (tasks_unfinished, tasks_tenant_status_created, tasks_tenant_finished), which every write
// changes, so every write of a task added an entry to each of the table's indexes.
//
// final_status is `status` once the task has ended (SUCCESS, FAILURE, REVOKED) and null
// before: a stored generated column, so every writer keeps it right without knowing it, and
// it stays null (unchanged) through every write before the end. The indexes that read status
// now read final_status; only the end (and a replay, which reopens the task) changes an
// indexed column. A fill factor of 50 leaves room on each page for the claim's new version of
// rows inserted together (a batch fills whole pages; the claim of its tasks comes in one
// statement, which cannot prune the page it writes).
//
// Adding a stored generated column rewrites the table under an exclusive lock: on a large
// table, run this migration in a maintenance window.

const TERMINAL = sql`('SUCCESS', 'FAILURE', 'REVOKED')`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table tasks add column final_status text generated always as (case when status in ${TERMINAL} then status end) stored`.execute(db);
  await sql`alter table tasks set (fillfactor = 50)`.execute(db);
  for (const index of ['tasks_unfinished', 'tasks_tenant_status_created', 'tasks_tenant_finished']) await db.schema.dropIndex(index).execute();
  // The list's status filter: an ended status by value, an open one as the null range (the
  // open tasks of a tenant are few) with status read from the rows.
  await db.schema.createIndex('tasks_tenant_final_created').on('tasks').columns(['tenant_id', 'final_status', 'created_at desc', 'id desc']).execute();
  // The queue overview: counts and the series of ended tasks from the index alone.
  await db.schema.createIndex('tasks_tenant_finished').on('tasks').columns(['tenant_id', 'finished_at', 'queue', 'final_status']).execute();
  // The reconciler and the backlog gauge page through the open tasks of every tenant.
  await db.schema.createIndex('tasks_open').on('tasks').column('id').where(sql.ref('final_status'), 'is', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['tasks_open', 'tasks_tenant_finished', 'tasks_tenant_final_created']) await db.schema.dropIndex(index).execute();
  await sql`alter table tasks drop column final_status`.execute(db);
  await sql`alter table tasks reset (fillfactor)`.execute(db);
  await db.schema
    .createIndex('tasks_unfinished')
    .on('tasks')
    .columns(['status', 'updated_at'])
    .where(sql.ref('status'), 'in', ['PENDING', 'STARTED', 'PROGRESS', 'RETRY'])
    .execute();
  await db.schema.createIndex('tasks_tenant_status_created').on('tasks').columns(['tenant_id', 'status', 'created_at desc', 'id desc']).execute();
  await db.schema.createIndex('tasks_tenant_finished').on('tasks').columns(['tenant_id', 'finished_at', 'queue', 'status']).execute();
}
