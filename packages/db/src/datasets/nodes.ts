import type { ColumnType, ColumnView, Program } from '@conveyor/contracts';
import { type Kysely, type Selectable, sql } from 'kysely';
import { afterCursorAscending, createdAtText, pageOf } from '../cursor';
import type { Database, DatasetNodesTable, UploadSource } from '../schema';
import { ChunkWriter, type DatasetRow } from './chunk-writer';
import { untilAborted } from './until-aborted';
import { inTransaction } from './sessions';

// The versions of a session's data: writing one (an upload, a transformation's result) with
// its rows, reading them back, and listing a session's history.

type Db = Kysely<Database>;

/** One version of a session's data, its counts as numbers. */
export interface DatasetNode {
  id: string;
  session_id: string;
  tenant_id: string;
  parent_id: string | null;
  row_count: number;
  columns: ColumnView[];
  program: Program | null;
  transformation: string;
  rows_affected: number;
  source: UploadSource | null;
  task_id: string | null;
  created_at: Date;
}

/** A node row as read, with its bigint counts (strings) made numbers. */
function toNode(row: Selectable<DatasetNodesTable>): DatasetNode {
  return { ...row, row_count: Number(row.row_count), rows_affected: Number(row.rows_affected) };
}

/** Thrown by writeNode when the tenant has no such session (or it was deleted meanwhile). */
export class DatasetSessionNotFoundError extends Error {
  override name = 'DatasetSessionNotFoundError';
}

/** Thrown by writeNode when the parent it names is not a node of the session. */
export class ParentNodeNotFoundError extends Error {
  override name = 'ParentNodeNotFoundError';
}

/** A column as the writer of a node knows it; writeNode counts its missing values. */
export interface NodeColumn {
  name: string;
  type: ColumnType;
}

export interface WriteNodeInput {
  /** The node's id, chosen by the writer: writing the same id again returns the node already written. */
  id: string;
  sessionId: string;
  tenantId: string;
  /** The node transformed; null for an upload (a root). */
  parentId: string | null;
  /** The task writing it; a second node for the same task is never made. */
  taskId: string | null;
  program: Program | null;
  /** What was uploaded; null for a transformation's result. */
  source: UploadSource | null;
  /** The rows, in pieces of any size. */
  chunks: AsyncIterable<DatasetRow[]>;
  /**
   * Called once every row was read: the columns (in the order of the rows' cells), what was
   * done, and for an upload its source again if only the rows told what it is (its bytes).
   */
  finish: () => { columns: NodeColumn[]; transformation: string; rowsAffected: number; source?: UploadSource };
  /** Aborting it stops the write, which is rolled back. */
  signal?: AbortSignal;
}

/**
 * Writes a node and its rows in one transaction, and moves the session's head to it: the
 * node row first, then the rows in chunks of exactly CHUNK_ROWS as they come (never all in
 * memory), then the counts (rows, each column's missing values) and finish()'s description.
 * An error from the rows, or an abort of the signal, rolls everything back.
 *
 * Written once per id and per task: when a node with this id (or of this task) exists already,
 * as when a retried task's first attempt committed, it is returned and nothing is read or
 * written. Of two concurrent writers of one id, the second waits at the node's insert for the
 * first to end, then returns its node (or, if the first rolled back, writes its own).
 */
export async function writeNode(db: Db, input: WriteNodeInput): Promise<DatasetNode> {
  input.signal?.throwIfAborted();
  return inTransaction(db, async (trx) => {
    const inserted = await trx
      .insertInto('dataset_nodes')
      .values({
        id: input.id,
        session_id: input.sessionId,
        tenant_id: input.tenantId,
        parent_id: input.parentId,
        task_id: input.taskId,
        program: input.program === null ? null : JSON.stringify(input.program),
        source: input.source === null ? null : JSON.stringify(input.source),
      })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst()
      .catch((error: unknown) => refusedReference(error, input));
    if (!inserted) return existingNode(trx, input);

    const writer = new ChunkWriter(trx, input.id);
    for await (const rows of untilAborted(input.chunks, input.signal)) await writer.add(rows);
    await writer.end();
    input.signal?.throwIfAborted();

    const { columns, transformation, rowsAffected, source } = input.finish();
    if (writer.present.length > columns.length) {
      throw new Error(`a row of node ${input.id} has ${writer.present.length} cells, but its dataset has ${columns.length} columns`);
    }
    const counted: ColumnView[] = columns.map((c, i) => ({ name: c.name, type: c.type, null_count: writer.rowCount - (writer.present[i] ?? 0) }));
    const node = await trx
      .updateTable('dataset_nodes')
      .set({
        row_count: writer.rowCount,
        columns: JSON.stringify(counted),
        transformation,
        rows_affected: rowsAffected,
        ...(source ? { source: JSON.stringify(source) } : {}),
      })
      .where('id', '=', input.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('dataset_sessions')
      .set({ head_node_id: input.id, updated_at: sql`now()` })
      .where('id', '=', input.sessionId)
      .where('tenant_id', '=', input.tenantId)
      .execute();
    return toNode(node);
  });
}

/** The node that kept writeNode from inserting: one with its id, or one its task wrote. */
async function existingNode(db: Db, input: WriteNodeInput): Promise<DatasetNode> {
  const row = await db
    .selectFrom('dataset_nodes')
    .selectAll()
    .where((eb) => (input.taskId ? eb.or([eb('id', '=', input.id), eb('task_id', '=', input.taskId)]) : eb('id', '=', input.id)))
    .executeTakeFirst();
  if (!row) throw new Error(`node ${input.id} was neither inserted nor found`);
  if (row.tenant_id !== input.tenantId || row.session_id !== input.sessionId) {
    throw new Error(`node ${row.id} exists already, in another session than ${input.sessionId}`);
  }
  return toNode(row);
}

/** The insert's foreign-key violations as errors that say which reference is missing. */
function refusedReference(error: unknown, input: WriteNodeInput): never {
  const { code, constraint } = error as { code?: string; constraint?: string };
  if (code === '23503' && constraint === 'dataset_nodes_session') throw new DatasetSessionNotFoundError(`no session ${input.sessionId}`);
  if (code === '23503' && constraint === 'dataset_nodes_parent') {
    throw new ParentNodeNotFoundError(`no node ${String(input.parentId)} in session ${input.sessionId}`);
  }
  throw error;
}

/** A node of a tenant's session; undefined when the session is not the tenant's or the node not the session's. */
export async function nodeOfSession(db: Db, tenantId: string, sessionId: string, nodeId: string): Promise<DatasetNode | undefined> {
  const row = await db
    .selectFrom('dataset_nodes')
    .selectAll()
    .where('id', '=', nodeId)
    .where('session_id', '=', sessionId)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row && toNode(row);
}

/** A page of a session's nodes, oldest first, with the cursor of the next page. */
export async function listNodes(
  db: Db,
  tenantId: string,
  sessionId: string,
  query: { after?: { createdAt: string; id: string }; limit: number },
): Promise<{ rows: DatasetNode[]; next?: string }> {
  let q = db
    .selectFrom('dataset_nodes')
    .selectAll()
    .select(createdAtText.as('cursor_at'))
    .where('session_id', '=', sessionId)
    .where('tenant_id', '=', tenantId);
  if (query.after) q = q.where(afterCursorAscending(query.after));
  const rows = await q
    .orderBy('created_at')
    .orderBy('id')
    .limit(query.limit + 1)
    .execute();
  const page = pageOf(rows, query.limit, (row) => row.id);
  return { rows: page.rows.map(toNode), next: page.next };
}
