import { compareCells } from '../compare-values';
import type { Row } from '../rows';

/** A column to sort by: its position, and the direction. */
export interface SortKey {
  position: number;
  direction: 'asc' | 'desc';
}

/** A row in a sort: its cells, whether a step changed it before, and its place in the sort's input (which keeps the sort stable). */
export interface SortEntry {
  cells: Row;
  changed: boolean;
  ordinal: number;
}

/**
 * Orders sort entries by the keys in turn (missing values last whatever the direction), then by
 * their place in the input, so equal rows keep their order.
 */
export function entryComparator(keys: SortKey[]): (a: SortEntry, b: SortEntry) => number {
  return (a, b) => {
    for (const { position, direction } of keys) {
      const x = a.cells[position] ?? null;
      const y = b.cells[position] ?? null;
      if (x === null || y === null) {
        if (x === y) continue;
        return x === null ? 1 : -1;
      }
      const order = compareCells(x, y);
      if (order !== 0) return direction === 'asc' ? order : -order;
    }
    return a.ordinal - b.ordinal;
  };
}
