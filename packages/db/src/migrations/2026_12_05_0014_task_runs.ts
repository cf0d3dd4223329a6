import { type Kysely, sql } from 'kysely';

// Frozen: the full task record and the list filters of the console (issue 20).
//  - origin: how the row came to be, set once at insert (existing rows: a schedule's fire, the
//    chat and publish routes' tasks, a handler's follow-ups, else the API);
//  - worker: the instance id of the worker that claimed the current attempt (each finished
//    attempt keeps its own in attempt_history);
//  - requeued_by: 'replay' or 'retry' once a failed task was put back in place (origin stays);
//  - usage_tracking.attempt: the attempt a call was made in, so cost is attributed exactly;
//  - one index per list filter, each ending in (created_at desc, id desc) so a filtered page is
//    read in order from the index (the campaign filter on the payload's campaign_id by
//    expression, so no table rewrite); a GIN index of the tagged tasks serves tags.
// Constant defaults and nullable columns add no table rewrite.

const FOLLOW_UPS = ['apply_transformation', 'capture_metrics'];

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tasks')
    .addColumn('origin', 'text', (c) => c.notNull().defaultTo('api'))
    .addColumn('worker', 'text')
    .addColumn('requeued_by', 'text')
    .execute();
  await sql`update tasks set origin = case
      when schedule_id is not null then 'schedule'
      when task = 'process_chat_message' then 'chat'
      when task = 'publish_post' then 'publish'
      when task in (${sql.join(FOLLOW_UPS)}) then 'follow_up'
      else 'api' end
    where schedule_id is not null or task in ('process_chat_message', 'publish_post', ${sql.join(FOLLOW_UPS)})`.execute(db);
  await db.schema.alterTable('usage_tracking').addColumn('attempt', 'integer').execute();
  // A task's cost (GET /tasks/{id}) sums its usage rows.
  await db.schema.createIndex('usage_tracking_task').on('usage_tracking').column('task_id').where(sql.ref('task_id'), 'is not', null).execute();

  for (const column of ['status', 'task', 'queue']) {
    await db.schema.createIndex(`tasks_tenant_${column}_created`).on('tasks').columns(['tenant_id', column, 'created_at desc', 'id desc']).execute();
  }
  await db.schema
    .createIndex('tasks_tenant_schedule_created')
    .on('tasks')
    .columns(['tenant_id', 'schedule_id', 'created_at desc', 'id desc'])
    .where(sql.ref('schedule_id'), 'is not', null)
    .execute();
  await sql`create index tasks_tenant_campaign_created on tasks (tenant_id, (payload->>'campaign_id'), created_at desc, id desc)
             where payload ? 'campaign_id'`.execute(db);
  // Only tagged tasks: an untagged one (most) costs the GIN index nothing on insert and on each update.
  await sql`create index tasks_tags on tasks using gin (tags) where cardinality(tags) > 0`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [
    'tasks_tags',
    'tasks_tenant_campaign_created',
    'tasks_tenant_schedule_created',
    'tasks_tenant_queue_created',
    'tasks_tenant_task_created',
    'tasks_tenant_status_created',
    'usage_tracking_task',
  ]) {
    await db.schema.dropIndex(index).execute();
  }
  await db.schema.alterTable('usage_tracking').dropColumn('attempt').execute();
  await db.schema.alterTable('tasks').dropColumn('requeued_by').dropColumn('worker').dropColumn('origin').execute();
}
