import type { Row } from '../rows';
import type { TrackedRow } from './tracked-row';

/** How much of the input a run has read. */
export interface InputProgress {
  rowsRead: number;
  /** Whether the input was read to its end (not when a limit stopped reading early). */
  exhausted: boolean;
}

/** The input's chunks as tracked rows, checking the signal before each chunk and reporting the rows read after it. */
export async function* readInput(
  input: AsyncIterable<Row[]>,
  progress: InputProgress,
  signal: AbortSignal | undefined,
  onRows: ((rowsRead: number) => void) | undefined,
): AsyncGenerator<TrackedRow[]> {
  signal?.throwIfAborted();
  for await (const chunk of input) {
    signal?.throwIfAborted();
    progress.rowsRead += chunk.length;
    onRows?.(progress.rowsRead);
    if (chunk.length) yield chunk.map((cells) => ({ cells, changed: false }));
    signal?.throwIfAborted();
  }
  progress.exhausted = true;
}

/** Tracked rows back as plain rows, in chunks of exactly `size` rows but the last; counts the changed rows that come out. */
export async function* outputChunks(chunks: AsyncIterable<TrackedRow[]>, size: number, counts: { changedOut: number }): AsyncGenerator<Row[]> {
  let out: Row[] = [];
  for await (const chunk of chunks) {
    for (const row of chunk) {
      if (row.changed) counts.changedOut++;
      out.push(row.cells);
      if (out.length === size) {
        yield out;
        out = [];
      }
    }
  }
  if (out.length) yield out;
}
