import type { CellValue, ColumnType, Scalar } from '@conveyor/contracts';
import { castValue, UNREADABLE } from '../cast-value';
import type { StepRunner } from '../run/tracked-row';
import { sameCell } from '../compare-values';
import { mapRows } from './map-rows';

/** Changes some cells of each row with `change` (undefined: the cell stays), counting the cells and rows it changed. */
function changeCells(positions: number[], change: (cell: CellValue) => CellValue | undefined): StepRunner {
  return mapRows((cells) => {
    let copy: CellValue[] | undefined;
    let values = 0;
    for (const position of positions) {
      const cell = cells[position] ?? null;
      const next = change(cell);
      if (next === undefined || sameCell(next, cell)) continue;
      copy ??= cells.slice();
      copy[position] = next;
      values++;
    }
    return copy && { cells: copy, values };
  });
}

/** Fills a column's missing (null) values with a constant. */
export function fillMissing(position: number, value: Scalar): StepRunner {
  return changeCells([position], (cell) => (cell === null ? value : undefined));
}

/** Removes spaces (any Unicode white space) at both ends of the text of these columns. */
export function trimCells(positions: number[]): StepRunner {
  return changeCells(positions, (cell) => (typeof cell === 'string' ? cell.trim() : undefined));
}

// A letter that begins a word: at the start, or after anything but a letter, digit or apostrophe ("don't" stays one word).
const WORD_START = /(^|[^\p{L}\p{N}'’])(\p{L})/gu;

/** Text in title case: every word's first letter upper case, the rest lower case. */
function titleCase(text: string): string {
  return text.toLowerCase().replace(WORD_START, (_match, before: string, letter: string) => before + letter.toUpperCase());
}

/** Changes the case of the text of these columns. */
export function changeCase(positions: number[], to: 'upper' | 'lower' | 'title'): StepRunner {
  const convert = to === 'upper' ? (text: string) => text.toUpperCase() : to === 'lower' ? (text: string) => text.toLowerCase() : titleCase;
  return changeCells(positions, (cell) => (typeof cell === 'string' ? convert(cell) : undefined));
}

/** Reads a column's values as another type; a value that cannot be read becomes null and is counted as unreadable. */
export function castColumn(position: number, to: ColumnType): StepRunner {
  return (input, stats) =>
    changeCells([position], (cell) => {
      const cast = castValue(cell, to);
      if (cast !== UNREADABLE) return cast;
      stats.unreadable++;
      return null;
    })(input, stats);
}
