import { type Kysely, sql } from 'kysely';

// Frozen: what a handler says while it runs (ctx.log), kept with its task (issue 20). seq is
// the order lines were written in (one sequence for all tasks: a task's lines ascend in it) and
// the cursor of GET /tasks/{id}/logs; deleting the task (retention) deletes its lines.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('task_logs')
    .addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('task_id', 'uuid', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull().check(sql`level in ('debug', 'info', 'warn', 'error')`))
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('fields', 'jsonb')
    // When the handler said it (the worker's clock; lines are ordered by seq, not by this).
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  // A task's lines in order (the listing, the cap's count, the cascade on delete).
  await db.schema.createIndex('task_logs_task_seq').on('task_logs').columns(['task_id', 'seq']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('task_logs').execute();
}
