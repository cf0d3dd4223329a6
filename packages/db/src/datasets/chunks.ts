import { CHUNK_ROWS } from '@conveyor/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../schema';
import type { DatasetRow } from './chunk-writer';

// Reading a node's rows back: all of them a chunk at a time, or a page of them by offset.
// Nodes never change once written, so neither read needs a transaction.

type Db = Kysely<Database>;

/** Chunks read by one query of readChunks. */
const CHUNKS_PER_READ = 4;
/** The largest chunk_no Postgres' integer holds; an offset beyond it is past any dataset's end. */
const MAX_CHUNK_NO = 2 ** 31 - 1;

/** Every row of a node, a stored chunk (CHUNK_ROWS rows, fewer in the last) at a time, in order. */
export async function* readChunks(db: Db, nodeId: string): AsyncGenerator<DatasetRow[]> {
  let after = -1;
  for (;;) {
    const chunks = await db
      .selectFrom('dataset_chunks')
      .select(['chunk_no', 'rows'])
      .where('node_id', '=', nodeId)
      .where('chunk_no', '>', after)
      .orderBy('chunk_no')
      .limit(CHUNKS_PER_READ)
      .execute();
    for (const chunk of chunks) yield JSON.parse(chunk.rows) as DatasetRow[];
    if (chunks.length < CHUNKS_PER_READ) return;
    after = chunks[chunks.length - 1]!.chunk_no;
  }
}

/**
 * Up to `limit` rows of a node from row `offset` (0 first): only the chunks that hold them are
 * read, found by arithmetic since every chunk but the last holds CHUNK_ROWS rows. Past the end: [].
 */
export async function readRows(db: Db, nodeId: string, offset: number, limit: number): Promise<DatasetRow[]> {
  if (limit <= 0 || offset < 0) return [];
  const first = Math.floor(offset / CHUNK_ROWS);
  if (first > MAX_CHUNK_NO) return [];
  const last = Math.min(Math.floor((offset + limit - 1) / CHUNK_ROWS), MAX_CHUNK_NO);
  const chunks = await db
    .selectFrom('dataset_chunks')
    .select(['chunk_no', 'rows'])
    .where('node_id', '=', nodeId)
    .where('chunk_no', '>=', first)
    .where('chunk_no', '<=', last)
    .orderBy('chunk_no')
    .execute();
  const rows = chunks.flatMap((chunk) => JSON.parse(chunk.rows) as DatasetRow[]);
  const start = offset - first * CHUNK_ROWS;
  return rows.slice(start, start + limit);
}
