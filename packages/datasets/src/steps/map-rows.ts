import type { TrackedRow, StepRunner } from '../run/tracked-row';
import type { Row } from '../rows';

/**
 * A step that keeps every row and may change its cells: `change` returns the new cells (a new
 * array) and how many cells it changed, or undefined when the row stays as it is.
 */
export function mapRows(change: (cells: Row) => { cells: Row; values: number } | undefined): StepRunner {
  return async function* (input, stats) {
    for await (const chunk of input) {
      stats.rowsIn += chunk.length;
      const out: TrackedRow[] = new Array(chunk.length);
      chunk.forEach((row, index) => {
        const changed = change(row.cells);
        if (!changed) {
          out[index] = row;
          return;
        }
        stats.changed++;
        stats.valuesChanged += changed.values;
        out[index] = { cells: changed.cells, changed: true };
      });
      stats.rowsOut += out.length;
      yield out;
    }
  };
}

/** A step that rebuilds every row's cells to new columns (drop, rename, reorder, a new derived column): every row counts as changed when the columns changed. */
export function reshapeRows(reshape: (cells: Row) => Row, columnsChanged: boolean): StepRunner {
  return async function* (input, stats) {
    for await (const chunk of input) {
      stats.rowsIn += chunk.length;
      stats.rowsOut += chunk.length;
      if (columnsChanged) stats.changed += chunk.length;
      yield chunk.map((row) => ({ cells: reshape(row.cells), changed: row.changed || columnsChanged }));
    }
  };
}
