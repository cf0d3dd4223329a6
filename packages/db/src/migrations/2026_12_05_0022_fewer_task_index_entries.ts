import { type Kysely, sql } from 'kysely';

// Frozen: two index entries fewer per task (issue 21, Postgres cost per task). A task's end
// changes indexed columns (final_status, finished_at, expires_at), so it adds an entry to
// every index whose predicate its row meets, as its insert did; every index a task is in costs
// it a write twice.
//
// - tasks_tenant_finished (tenant_id, finished_at, queue, final_status) serves the queue
//   overview's counts and series of ended tasks, which ask for final_status not null (or in a
//   list of ended ones). It held an entry for every task from its insert, never read: now
//   partial, it takes a task at its end only.
// - tasks_tenant_created (tenant_id, created_at desc, id desc) served only the list without a
//   filter, which now merges the ranges of tasks_tenant_final_created (tenant_id,
//   final_status, created_at desc, id desc), one per final status, each read in order
//   (listTasksForTenant). Dropped: no entry at the insert, none at the end.
//
// Builds an index (concurrently would not run in the migration's transaction): on a large
// table, run this migration in a maintenance window.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tasks_tenant_finished').execute();
  await db.schema
    .createIndex('tasks_tenant_finished')
    .on('tasks')
    .columns(['tenant_id', 'finished_at', 'queue', 'final_status'])
    .where(sql.ref('final_status'), 'is not', null)
    .execute();
  await db.schema.dropIndex('tasks_tenant_created').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('tasks_tenant_created').on('tasks').columns(['tenant_id', 'created_at desc', 'id desc']).execute();
  await db.schema.dropIndex('tasks_tenant_finished').execute();
  await db.schema.createIndex('tasks_tenant_finished').on('tasks').columns(['tenant_id', 'finished_at', 'queue', 'final_status']).execute();
}
