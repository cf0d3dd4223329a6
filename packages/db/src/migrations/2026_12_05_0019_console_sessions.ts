import { type Kysely, sql } from 'kysely';

// Frozen: console sign-in sessions (issue 20). A browser signs in with an API key once and then
// sends a cookie (conveyor_session) instead; only the session id's sha256 is stored.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('console_sessions')
    // sha256 of the whole session id, hex; the id itself is never stored.
    .addColumn('session_hash', 'text', (c) => c.primaryKey())
    // The key the session was opened with: it speaks for that key's tenant (or as admin). A
    // revoked key's sessions are refused at once (the lookup joins api_keys) and deleted.
    .addColumn('api_key_id', 'uuid', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Slides forward on use, never past absolute_expires_at.
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('absolute_expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // The retention clean-up deletes expired sessions by expires_at.
  await db.schema.createIndex('console_sessions_expires').on('console_sessions').column('expires_at').execute();
  // Revoking a key deletes its sessions (and the cascade of a deleted key looks them up).
  await db.schema.createIndex('console_sessions_key').on('console_sessions').column('api_key_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('console_sessions').execute();
}
