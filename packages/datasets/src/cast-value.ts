import type { CellValue, ColumnType } from '@conveyor/contracts';
import { integerOfText, numberOfText } from './cell-text';

/** What castValue returns for a value that cannot be read as the type asked for. */
export const UNREADABLE: unique symbol = Symbol('unreadable');

const LOOSE_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE_TEXT = new Set(['true', 'yes', '1']);
const FALSE_TEXT = new Set(['false', 'no', '0']);

/** A number written in text, read loosely (surrounding spaces, a plus sign, leading zeros, ".5"), or undefined. */
export function looseNumberOfText(text: string): number | undefined {
  const trimmed = text.trim();
  if (!LOOSE_NUMBER.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

function toNumber(value: CellValue): number | typeof UNREADABLE {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') return numberOfText(value) ?? looseNumberOfText(value) ?? UNREADABLE;
  return UNREADABLE;
}

function toInteger(value: CellValue): number | typeof UNREADABLE {
  if (typeof value === 'string') {
    const exact = integerOfText(value);
    if (exact !== undefined) return exact;
  }
  const number = toNumber(value);
  if (number === UNREADABLE) return UNREADABLE;
  const rounded = Math.round(number);
  return Number.isSafeInteger(rounded) ? rounded : UNREADABLE;
}

function toBoolean(value: CellValue): boolean | typeof UNREADABLE {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : UNREADABLE;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (TRUE_TEXT.has(lower)) return true;
    if (FALSE_TEXT.has(lower)) return false;
  }
  return UNREADABLE;
}

/** The text form of any value: strings as they are, numbers and booleans as JavaScript writes them, objects and arrays as JSON. */
export function textOf(value: Exclude<CellValue, null>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function toJson(value: CellValue): CellValue | typeof UNREADABLE {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as CellValue;
  } catch {
    return UNREADABLE;
  }
}

/**
 * A value read as another column type, or UNREADABLE. Null stays null. To integer: integer
 * text, or any number rounded to the nearest integer (true is 1, false 0); to number: numeric
 * text (spaces, "+", leading zeros allowed), true 1, false 0; to boolean: true/false/yes/no/1/0
 * in any case, the numbers 1 and 0; to string: the value's text (JSON for objects and arrays);
 * to json: text that parses as JSON, any other value as it is.
 */
export function castValue(value: CellValue, to: ColumnType): CellValue | typeof UNREADABLE {
  if (value === null) return null;
  switch (to) {
    case 'string':
      return textOf(value);
    case 'integer':
      return toInteger(value);
    case 'number':
      return toNumber(value);
    case 'boolean':
      return toBoolean(value);
    case 'json':
      return toJson(value);
  }
}
