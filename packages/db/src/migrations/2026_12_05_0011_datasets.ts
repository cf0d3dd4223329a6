import { type Kysely, sql } from 'kysely';

// Frozen: chat-driven dataset transformations (issue 18). A session is a conversation (same
// id) with a tree of dataset versions (nodes); each node's rows are stored in chunks of
// CHUNK_ROWS (1000, written out here) rows, every chunk full but the last.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('dataset_sessions')
    // The session's chat is the conversation with its id: deleting that deletes the session.
    .addColumn('id', 'uuid', (c) => c.primaryKey().references('conversations.id').onDelete('cascade'))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    // The version the session looks at; its foreign key is added below, once the nodes exist.
    .addColumn('head_node_id', 'uuid')
    // The chat message being processed; not a foreign key, so task retention never waits on it.
    .addColumn('active_task_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // The target of nodes' (tenant_id, session_id): a node's tenant is always its session's.
    .addUniqueConstraint('dataset_sessions_tenant_id_id', ['tenant_id', 'id'])
    .execute();
  // GET /sessions, newest first by the cursor (created_at, id).
  await db.schema.createIndex('dataset_sessions_tenant_created').on('dataset_sessions').columns(['tenant_id', 'created_at desc', 'id desc']).execute();

  await db.schema
    .createTable('dataset_nodes')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('session_id', 'uuid', (c) => c.notNull())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('parent_id', 'uuid')
    .addColumn('row_count', 'bigint', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`row_count >= 0`),
    )
    // [{name, type, null_count}], in the order of the cells of every stored row.
    .addColumn('columns', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // The transformation program that made it; null for an upload (a root).
    .addColumn('program', 'jsonb')
    .addColumn('transformation', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('rows_affected', 'bigint', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`rows_affected >= 0`),
    )
    // {format, filename, bytes} of an upload; null for a transformation's result.
    .addColumn('source', 'jsonb')
    // One node per task: a retried task finds the node its first attempt committed.
    .addColumn('task_id', 'uuid', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('dataset_nodes_session', ['tenant_id', 'session_id'], 'dataset_sessions', ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
    // The target of the parent and head keys: a node's parent, and a session's head, are of that session.
    .addUniqueConstraint('dataset_nodes_session_id_id', ['session_id', 'id'])
    .addForeignKeyConstraint('dataset_nodes_parent', ['session_id', 'parent_id'], 'dataset_nodes', ['session_id', 'id'], (c) => c.onDelete('cascade'))
    .execute();
  // A session's history, oldest first by the cursor (created_at, id); also serves its foreign keys.
  await db.schema.createIndex('dataset_nodes_session_created').on('dataset_nodes').columns(['session_id', 'created_at', 'id']).execute();
  await db.schema
    .alterTable('dataset_sessions')
    .addForeignKeyConstraint('dataset_sessions_head', ['id', 'head_node_id'], 'dataset_nodes', ['session_id', 'id'])
    .execute();

  await db.schema
    .createTable('dataset_chunks')
    .addColumn('node_id', 'uuid', (c) => c.notNull().references('dataset_nodes.id').onDelete('cascade'))
    .addColumn('chunk_no', 'integer', (c) => c.notNull().check(sql`chunk_no >= 0`))
    .addColumn('row_count', 'integer', (c) => c.notNull().check(sql`row_count between 1 and 1000`))
    // A JSON array of rows, each an array of cells in the node's column order.
    .addColumn('rows', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_chunks_pk', ['node_id', 'chunk_no'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dataset_chunks').execute();
  await db.schema.alterTable('dataset_sessions').dropConstraint('dataset_sessions_head').execute();
  await db.schema.dropTable('dataset_nodes').execute();
  await db.schema.dropTable('dataset_sessions').execute();
}
