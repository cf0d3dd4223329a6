import { type Kysely, sql } from 'kysely';

// Frozen: what the queue overview (GET /api/v1/queues) and the tenant's dead letters read.
//
// tasks_tenant_finished serves both queries of the overview per tenant from the index alone:
// the counts by queue and status (every entry of the tenant) and the series of tasks finished
// in the window (a range on finished_at). The overview of all tenants runs it once per tenant.
// dead_letters.acknowledged_at: a tenant discards (acknowledges) a dead letter without
// replaying it; the task stays FAILURE and the row is kept until its retention, unlisted.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('tasks_tenant_finished').on('tasks').columns(['tenant_id', 'finished_at', 'queue', 'status']).execute();
  await db.schema.alterTable('dead_letters').addColumn('acknowledged_at', 'timestamptz').execute();
  await db.schema
    .createIndex('dead_letters_tenant_open')
    .on('dead_letters')
    .columns(['tenant_id', 'failed_at desc', 'task_id desc'])
    .where(sql.ref('acknowledged_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('dead_letters_tenant_open').execute();
  await db.schema.alterTable('dead_letters').dropColumn('acknowledged_at').execute();
  await db.schema.dropIndex('tasks_tenant_finished').execute();
}
