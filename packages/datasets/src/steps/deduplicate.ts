import { createHash } from 'node:crypto';
import type { StepRunner, TrackedRow } from '../run/tracked-row';

/** A 128-bit digest of the key cells' JSON, as a 16-character one-byte string. */
function keyDigest(cells: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(cells)).digest('binary').slice(0, 16);
}

/**
 * Keeps the first row of each group of rows equal in these columns (null equal to null; objects
 * and arrays equal when their JSON text is). Streams, remembering a 128-bit digest of each
 * distinct key: memory grows with the number of distinct keys, about 100 bytes each (some 100 MB
 * for a million distinct rows), never with the rows' size.
 */
export function deduplicateRows(positions: number[]): StepRunner {
  return async function* (input, stats) {
    const seen = new Set<string>();
    for await (const chunk of input) {
      stats.rowsIn += chunk.length;
      const kept: TrackedRow[] = [];
      for (const row of chunk) {
        const digest = keyDigest(positions.map((position) => row.cells[position] ?? null));
        if (seen.has(digest)) continue;
        seen.add(digest);
        kept.push(row);
      }
      stats.rowsOut += kept.length;
      if (kept.length) yield kept;
    }
  };
}
