import { type Kysely, sql } from 'kysely';

// Frozen: one index entry fewer per task (issue 21, Postgres cost per task): 10 instead of 11.
//
// Two indexes held every open task: tasks_open (id), for the reconciler and the backlog gauge,
// and the null range of tasks_tenant_final_created (tenant_id, final_status, created_at desc,
// id desc), for a tenant's list of open tasks. Each cost a task an entry at its insert.
//
// - tasks_open is now (tenant_id, created_at, id), still partial on the open tasks: a tenant's
//   open tasks newest first are a backward scan of its range (the list, the queue overview),
//   and the reconciler pages through every tenant's in (tenant_id, created_at, id) order
//   (findUnfinishedTasks), each page a range of the index after the last row's key.
// - tasks_tenant_final_created is partial on the ended tasks: it takes a task at its end only
//   (as it did before: the end changes final_status, so it took an entry at the end as well).
//
// An older replica's statements still run: its reconciler, paging by id, reads the open tasks
// and sorts them; its list reads the null range from tasks_open.
//
// Builds two indexes (concurrently would not run in the migration's transaction): on a large
// table, run this migration in a maintenance window.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tasks_open').execute();
  await db.schema.createIndex('tasks_open').on('tasks').columns(['tenant_id', 'created_at', 'id']).where(sql.ref('final_status'), 'is', null).execute();
  await db.schema.dropIndex('tasks_tenant_final_created').execute();
  await db.schema
    .createIndex('tasks_tenant_final_created')
    .on('tasks')
    .columns(['tenant_id', 'final_status', 'created_at desc', 'id desc'])
    .where(sql.ref('final_status'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tasks_tenant_final_created').execute();
  await db.schema.createIndex('tasks_tenant_final_created').on('tasks').columns(['tenant_id', 'final_status', 'created_at desc', 'id desc']).execute();
  await db.schema.dropIndex('tasks_open').execute();
  await db.schema.createIndex('tasks_open').on('tasks').column('id').where(sql.ref('final_status'), 'is', null).execute();
}
