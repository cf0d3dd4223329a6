import { type Kysely, sql } from 'kysely';

// Frozen: what a client attaches to a task at submission to find it again (tags) and to carry
// its own context (metadata). A constant default adds the column without rewriting the table.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tasks')
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('metadata', 'jsonb')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tasks').dropColumn('metadata').dropColumn('tags').execute();
}
