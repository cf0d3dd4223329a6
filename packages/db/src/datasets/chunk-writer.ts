import { CHUNK_ROWS, type CellValue } from '@conveyor/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/** One row as stored: its cells in the order of its node's columns (a shorter row's missing cells are null). */
export type DatasetRow = CellValue[];

/** Chunks sent in one INSERT at most, and the bytes of JSON after which they go sooner. */
const CHUNKS_PER_INSERT = 8;
const BYTES_PER_INSERT = 8 * 1024 * 1024;

/** A missing value, as the columns' null_count counts it: null (an empty CSV cell is stored as null), or no cell at all (a short row). */
export const isMissing = (cell: CellValue | undefined) => cell === null || cell === undefined;

/**
 * Writes a node's rows as they come, whatever the size of the pieces they come in: re-cut
 * into chunks of exactly CHUNK_ROWS rows (the last may hold fewer), several chunks to an
 * INSERT, so that no more than a few chunks are ever held in memory. Counts the rows and each
 * cell position's present values on the way.
 */
export class ChunkWriter {
  private current: DatasetRow[] = [];
  private pending: { chunk_no: number; row_count: number; rows: string }[] = [];
  private pendingBytes = 0;
  private nextChunk = 0;
  /** Rows written so far. */
  rowCount = 0;
  /** Per cell position, the rows whose cell there is present (not missing). */
  readonly present: number[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly nodeId: string,
  ) {}

  /** Takes rows; stores every chunk they fill (in batches). */
  async add(rows: DatasetRow[]): Promise<void> {
    for (const row of rows) {
      this.count(row);
      this.current.push(row);
      if (this.current.length === CHUNK_ROWS) {
        this.seal();
        if (this.pending.length >= CHUNKS_PER_INSERT || this.pendingBytes >= BYTES_PER_INSERT) await this.flush();
      }
    }
  }

  /** Stores what is left: the last, partial chunk and any full ones not yet sent. */
  async end(): Promise<void> {
    if (this.current.length) this.seal();
    await this.flush();
  }

  private count(row: DatasetRow): void {
    this.rowCount += 1;
    for (let i = 0; i < row.length; i += 1) {
      if (!isMissing(row[i])) this.present[i] = (this.present[i] ?? 0) + 1;
      else this.present[i] ??= 0;
    }
  }

  private seal(): void {
    const rows = JSON.stringify(this.current);
    this.pending.push({ chunk_no: this.nextChunk, row_count: this.current.length, rows });
    this.pendingBytes += rows.length;
    this.nextChunk += 1;
    this.current = [];
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunks = this.pending.map((c) => ({ node_id: this.nodeId, ...c }));
    this.pending = [];
    this.pendingBytes = 0;
    await this.db.insertInto('dataset_chunks').values(chunks).execute();
  }
}
