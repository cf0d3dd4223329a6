import type { DatasetColumn, Row } from './rows';
import { castValue, UNREADABLE } from './cast-value';

/**
 * A stored row with typed cells: raw upload text read as its column's type (the text "42" of an
 * integer column becomes 42, a number in a string column its text; a json column's cells stay
 * as they are), a short row padded with null. A cell that does not fit its type (which an upload's inference never produces) is null.
 * Already typed rows come out equal.
 */
export function coerceRow(row: Row, columns: DatasetColumn[]): Row {
  const typed: Row = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const cell = row[i] ?? null;
    const type = columns[i]!.type;
    if (type === 'json') {
      typed[i] = cell;
      continue;
    }
    const cast = castValue(cell, type);
    typed[i] = cast === UNREADABLE ? null : cast;
  }
  return typed;
}
