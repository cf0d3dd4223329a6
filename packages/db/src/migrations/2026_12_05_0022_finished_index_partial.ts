import { type Kysely, sql } from 'kysely';

// Frozen: the queue overview's index holds ended tasks only (issue 21, Postgres cost per task).
//
// tasks_tenant_finished (tenant_id, finished_at, queue, final_status) serves the overview's
// counts and series of ended tasks, which every statement reading it asks for with
// final_status not null (or in a list of ended ones). It held an entry for every task from its
// insert, with a null finished_at, and another at its end: the insert's entry was never read.
// Partial, the insert adds one index entry fewer (the end adds the same), and the index holds
// no open tasks.
//
// Rebuilds the index (concurrently would not run in the migration's transaction): on a large
// table, run this migration in a maintenance window.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tasks_tenant_finished').execute();
  await db.schema
    .createIndex('tasks_tenant_finished')
    .on('tasks')
    .columns(['tenant_id', 'finished_at', 'queue', 'final_status'])
    .where(sql.ref('final_status'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tasks_tenant_finished').execute();
  await db.schema.createIndex('tasks_tenant_finished').on('tasks').columns(['tenant_id', 'finished_at', 'queue', 'final_status']).execute();
}
