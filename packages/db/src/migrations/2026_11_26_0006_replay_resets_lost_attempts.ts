import type { Kysely } from 'kysely';

// Frozen: the attempt number a task had when it was last replayed from the dead letters (0:
// never). Lost attempts (worker crashed or stalled) are counted from there, so a task that
// failed for killing its workers runs again when replayed instead of failing at once.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tasks')
    .addColumn('replayed_at_attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tasks').dropColumn('replayed_at_attempt').execute();
}
