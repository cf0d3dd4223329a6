import type { CellValue, ColumnType } from '@conveyor/contracts';
import { booleanOfText, integerOfText, numberOfText } from './cell-text';

const INTEGER = 1;
const NUMBER = 2;
const BOOLEAN = 4;
const STRING = 8;
const JSON_VALUE = 16;

/** The kind of a CSV cell's text (non-empty): what it could be read as. */
function kindOfText(text: string): number {
  if (integerOfText(text) !== undefined) return INTEGER;
  if (numberOfText(text) !== undefined) return NUMBER;
  if (booleanOfText(text) !== undefined) return BOOLEAN;
  return STRING;
}

/** The kind of a JSON value (not null) as it is: a string stays a string even when it holds digits. */
function kindOfValue(value: CellValue): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? INTEGER : NUMBER;
  if (typeof value === 'boolean') return BOOLEAN;
  if (typeof value === 'string') return STRING;
  return JSON_VALUE;
}

/**
 * The kinds of values seen in each column of an upload, and the column types they make: the
 * narrowest type every non-null value fits (integers and numbers together are numbers), json
 * if any value is an object or array, string for any other mix or a column with no value.
 */
export class ColumnTypeTally {
  private readonly kinds: number[] = [];

  /** Counts a CSV cell's raw text (null for an empty cell). */
  observeText(column: number, text: string | null): void {
    if (text !== null) this.kinds[column] = (this.kinds[column] ?? 0) | kindOfText(text);
  }

  /** Counts a JSON Lines value as it is. */
  observeValue(column: number, value: CellValue): void {
    if (value !== null) this.kinds[column] = (this.kinds[column] ?? 0) | kindOfValue(value);
  }

  /** The inferred type of a column. */
  typeOf(column: number): ColumnType {
    const kinds = this.kinds[column] ?? 0;
    if (kinds & JSON_VALUE) return 'json';
    if (kinds === INTEGER) return 'integer';
    if (kinds === NUMBER || kinds === (INTEGER | NUMBER)) return 'number';
    if (kinds === BOOLEAN) return 'boolean';
    return 'string';
  }
}
