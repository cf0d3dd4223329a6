import type { DatasetColumn } from '../rows';
import type { StepRunner } from '../run/tracked-row';
import { reshapeRows } from './map-rows';

/**
 * Rebuilds rows for the columns a step leaves (drop, rename, reorder): each output column's cell
 * taken from the input column it came from (`sources[i]`, its position before). Every row counts
 * as changed when the names or order of the columns changed.
 */
export function reshapeColumns(before: DatasetColumn[], after: DatasetColumn[], sources: number[]): StepRunner {
  const changed = before.length !== after.length || after.some((column, index) => column.name !== before[index]!.name);
  const identity = sources.length === before.length && sources.every((source, index) => source === index);
  return reshapeRows(identity ? (cells) => cells : (cells) => sources.map((source) => cells[source] ?? null), changed);
}
