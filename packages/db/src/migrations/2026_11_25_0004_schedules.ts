import { type Kysely, sql } from 'kysely';

// Frozen: schedules, and the link from a task to the schedule fire that made it.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('schedules')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('one_shot', 'cron', 'rrule')`))
    .addColumn('run_at', 'timestamptz')
    .addColumn('cron', 'text')
    .addColumn('rrule', 'text')
    .addColumn('dtstart', 'text')
    .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('misfire_policy', 'text', (c) =>
      c
        .notNull()
        .defaultTo('fire_once')
        .check(sql`misfire_policy in ('skip', 'fire_once', 'fire_all')`),
    )
    .addColumn('end_at', 'timestamptz')
    .addColumn('next_run_at', 'timestamptz')
    .addColumn('last_run_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('schedules_tenant_name', ['tenant_id', 'name'])
    .execute();
  // The tick's query: enabled schedules by when they are due.
  await db.schema
    .createIndex('schedules_due')
    .on('schedules')
    .column('next_run_at')
    .where(sql<boolean>`enabled and next_run_at is not null`)
    .execute();

  await db.schema
    .alterTable('tasks')
    .addColumn('schedule_id', 'uuid', (c) => c.references('schedules.id').onDelete('set null'))
    .addColumn('planned_at', 'timestamptz')
    .execute();
  // Every fire happens once: one task per (schedule, planned time).
  await db.schema
    .createIndex('tasks_schedule_fire')
    .on('tasks')
    .columns(['schedule_id', 'planned_at'])
    .unique()
    .where(sql.ref('schedule_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tasks_schedule_fire').execute();
  await db.schema.alterTable('tasks').dropColumn('schedule_id').dropColumn('planned_at').execute();
  await db.schema.dropTable('schedules').execute();
}
