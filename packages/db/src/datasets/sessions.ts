import { randomUUID } from 'node:crypto';
import { type Kysely, type Transaction, sql } from 'kysely';
import { afterCursor, createdAtText, pageOf } from '../cursor';
import type { Database, DatasetSessionRow } from '../schema';

// A tenant's dataset sessions: create, read, list, delete, and the head and active task they
// carry. A session is a conversation with the same id, so its chat is that conversation's.

type Db = Kysely<Database>;

/** Runs work in the caller's transaction, or in a new one. */
export function inTransaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<Database>) : db.transaction().execute(work);
}

/** A new session, with its conversation (the same id), in one transaction. */
export function createSession(db: Db, input: { tenantId: string; name: string; id?: string }): Promise<DatasetSessionRow> {
  const id = input.id ?? randomUUID();
  return inTransaction(db, async (trx) => {
    await trx.insertInto('conversations').values({ id, tenant_id: input.tenantId }).execute();
    return trx.insertInto('dataset_sessions').values({ id, tenant_id: input.tenantId, name: input.name }).returningAll().executeTakeFirstOrThrow();
  });
}

/** A tenant's session; another tenant's is indistinguishable from a missing one. */
export function findSession(db: Db, tenantId: string, id: string): Promise<DatasetSessionRow | undefined> {
  return db.selectFrom('dataset_sessions').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
}

/**
 * A tenant's session, its row locked until the transaction ends. FOR NO KEY UPDATE: a node
 * being written (an upload that may last minutes) holds a key-share lock on its session,
 * which this does not wait for.
 */
export function lockSession(trx: Transaction<Database>, tenantId: string, id: string): Promise<DatasetSessionRow | undefined> {
  return trx.selectFrom('dataset_sessions').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).forNoKeyUpdate().executeTakeFirst();
}

/** A page of a tenant's sessions, newest first, with the cursor of the next page (as tasks). */
export async function listSessions(
  db: Db,
  tenantId: string,
  query: { after?: { createdAt: string; id: string }; limit: number },
): Promise<{ rows: DatasetSessionRow[]; next?: string }> {
  let q = db.selectFrom('dataset_sessions').selectAll().select(createdAtText.as('cursor_at')).where('tenant_id', '=', tenantId);
  if (query.after) q = q.where(afterCursor(query.after));
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return pageOf(rows, query.limit, (row) => row.id);
}

/**
 * Deletes a session with its chat, nodes and their rows (one DELETE of its conversation, which
 * the foreign keys cascade). False when the tenant has no such session.
 */
export async function deleteSession(db: Db, tenantId: string, id: string): Promise<boolean> {
  const deleted = await db
    .deleteFrom('conversations')
    .where('id', '=', id)
    .where('tenant_id', '=', tenantId)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('dataset_sessions').select(sql.lit(1).as('one')).where('dataset_sessions.id', '=', id).where('dataset_sessions.tenant_id', '=', tenantId),
      ),
    )
    .executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}

/** Points the session at one of its own nodes (undo, redo); undefined when the tenant has no such session or the node is not the session's. */
export function moveHead(db: Db, tenantId: string, sessionId: string, nodeId: string): Promise<DatasetSessionRow | undefined> {
  return db
    .updateTable('dataset_sessions')
    .set({ head_node_id: nodeId, updated_at: sql`now()` })
    .where('id', '=', sessionId)
    .where('tenant_id', '=', tenantId)
    .where(({ exists, selectFrom }) =>
      exists(selectFrom('dataset_nodes').select(sql.lit(1).as('one')).where('dataset_nodes.id', '=', nodeId).where('dataset_nodes.session_id', '=', sessionId)),
    )
    .returningAll()
    .executeTakeFirst();
}

/** Records the task processing the session's chat message now (null: none). */
export function setActiveTask(db: Db, tenantId: string, sessionId: string, taskId: string | null): Promise<DatasetSessionRow | undefined> {
  return db
    .updateTable('dataset_sessions')
    .set({ active_task_id: taskId, updated_at: sql`now()` })
    .where('id', '=', sessionId)
    .where('tenant_id', '=', tenantId)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Ends the session's active task if it is still this one (compare-and-set: a newer message's
 * task is left alone); false when it was not.
 */
export async function finishActiveTask(db: Db, sessionId: string, taskId: string): Promise<boolean> {
  const result = await db
    .updateTable('dataset_sessions')
    .set({ active_task_id: null, updated_at: sql`now()` })
    .where('id', '=', sessionId)
    .where('active_task_id', '=', taskId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
