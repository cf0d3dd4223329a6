import type { CellValue } from '@conveyor/contracts';

/** A UTF-16 unit moved so that units compare in code point order (surrogates above U+E000–U+FFFF). */
function codePointOrder(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Compares two strings by Unicode code point (not by UTF-16 unit, which puts emoji before "ｱ"): -1, 0 or 1. */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) < codePointOrder(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

function rank(value: CellValue): number {
  if (typeof value === 'boolean') return 0;
  if (typeof value === 'number') return 1;
  if (typeof value === 'string') return 2;
  return 3;
}

/**
 * Compares two non-null cells of a column: numbers numerically, strings by code point, false
 * before true; values of different kinds (which a typed column does not hold) by kind, objects
 * and arrays by their JSON text.
 */
export function compareCells(a: Exclude<CellValue, null>, b: Exclude<CellValue, null>): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  const kinds = rank(a) - rank(b);
  if (kinds !== 0) return kinds;
  return compareCodePoints(JSON.stringify(a), JSON.stringify(b));
}

/** Whether two cells hold the same value (objects and arrays compared by their JSON text). */
export function sameCell(a: CellValue, b: CellValue): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
