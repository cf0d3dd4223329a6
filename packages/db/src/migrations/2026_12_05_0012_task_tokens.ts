import { type Kysely, sql } from 'kysely';

// Frozen: short-lived task tokens (issue 19). A browser's EventSource cannot send an API key,
// so it reads one task with ?token=<cvt_...>; only the token's sha256 is stored.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('task_tokens')
    // sha256 of the whole token, hex; the token itself is never stored.
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    // The one task the token reads; deleting the task (retention) deletes its tokens.
    .addColumn('task_id', 'uuid', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    // The task's tenant, copied from it: the token speaks for that tenant (its rate limit, its plan).
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The retention clean-up deletes expired tokens by expires_at.
  await db.schema.createIndex('task_tokens_expires').on('task_tokens').column('expires_at').execute();
  // Deleting a task looks up its tokens (the cascade); without this, every deleted task scans the table.
  await db.schema.createIndex('task_tokens_task').on('task_tokens').column('task_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('task_tokens').execute();
}
