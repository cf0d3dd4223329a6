import { type Kysely, sql } from 'kysely';

// Frozen: retries, attempts history, dead letters, delays, priorities, idempotency, retention.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tasks')
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_at', 'timestamptz')
    .addColumn('idempotency_key', 'text')
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('expires_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('tasks_tenant_idempotency')
    .on('tasks')
    .columns(['tenant_id', 'idempotency_key'])
    .unique()
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute();
  await db.schema.createIndex('tasks_expires').on('tasks').column('expires_at').where(sql.ref('expires_at'), 'is not', null).execute();

  await db.schema
    .createTable('task_attempts')
    .addColumn('task_id', 'uuid', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('outcome', 'text', (c) =>
      c
        .notNull()
        .defaultTo('running')
        .check(sql`outcome in ('running','success','retry','failure','lost','revoked','released','fenced')`),
    )
    .addColumn('error', 'jsonb')
    .addPrimaryKeyConstraint('task_attempts_pk', ['task_id', 'attempt'])
    .execute();

  await db.schema
    .createTable('dead_letters')
    .addColumn('task_id', 'uuid', (c) => c.primaryKey().references('tasks.id').onDelete('cascade'))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('error', 'jsonb', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('failed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('dead_letters_failed').on('dead_letters').columns(['failed_at desc', 'task_id desc']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dead_letters').execute();
  await db.schema.dropTable('task_attempts').execute();
  await db.schema.dropIndex('tasks_expires').execute();
  await db.schema.dropIndex('tasks_tenant_idempotency').execute();
  await db.schema
    .alterTable('tasks')
    .dropColumn('priority')
    .dropColumn('run_at')
    .dropColumn('idempotency_key')
    .dropColumn('next_attempt_at')
    .dropColumn('expires_at')
    .execute();
}
