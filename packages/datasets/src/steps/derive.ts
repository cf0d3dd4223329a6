import type { CellValue, ColumnType, DeriveArgument, DeriveFunction } from '@conveyor/contracts';
import type { Row } from '../rows';
import type { StepRunner } from '../run/tracked-row';
import { sameCell } from '../compare-values';
import { DERIVE_IMPLEMENTATIONS, fitDerived } from './derive-functions';
import { mapRows, reshapeRows } from './map-rows';

/** How to get an argument's value from a row. */
function argumentReader(argument: DeriveArgument, positions: ReadonlyMap<string, number>): (cells: Row) => CellValue {
  if ('value' in argument) {
    const value = argument.value;
    return () => value;
  }
  const position = positions.get(argument.column)!;
  return (cells) => cells[position] ?? null;
}

/** Where the derived column goes: a new column at the end, or in place of the column of that name. */
export interface DeriveTarget {
  /** The position of the column it replaces, or undefined for a new column. */
  replaces: number | undefined;
  type: ColumnType;
}

/** Computes a column row by row with one of DERIVE_FUNCTIONS. */
export function deriveColumn(fn: DeriveFunction, args: DeriveArgument[], positions: ReadonlyMap<string, number>, target: DeriveTarget): StepRunner {
  const readers = args.map((argument) => argumentReader(argument, positions));
  const implementation = DERIVE_IMPLEMENTATIONS[fn];
  const compute = (cells: Row) => fitDerived(implementation(readers.map((read) => read(cells))), target.type);
  const replaces = target.replaces;
  if (replaces === undefined) return reshapeRows((cells) => [...cells, compute(cells)], true);
  return mapRows((cells) => {
    const value = compute(cells);
    if (sameCell(value, cells[replaces] ?? null)) return undefined;
    const copy = cells.slice();
    copy[replaces] = value;
    return { cells: copy, values: 1 };
  });
}
