import type { CellValue, ColumnType, DeriveFunction } from '@conveyor/contracts';
import { castValue, textOf, UNREADABLE } from '../cast-value';

type Values = CellValue[];
type Implementation = (values: Values) => CellValue;

const isNumber = (value: CellValue): value is number => typeof value === 'number';
const isText = (value: CellValue): value is string => typeof value === 'string';

/** A number a cell can hold: finite (JSON has no Infinity or NaN), else null. */
const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);

function arithmetic(operate: (a: number, b: number) => number): Implementation {
  return ([a = null, b = null]) => (isNumber(a) && isNumber(b) ? finite(operate(a, b)) : null);
}

function text(operate: (value: string) => CellValue): Implementation {
  return ([value = null]) => (isText(value) ? operate(value) : null);
}

/** x rounded to `digits` decimals (negative: to tens, hundreds...), halves away from zero, without binary surprises (1.005 → 1.01). */
function roundHalfAway(x: number, digits: number): number {
  const magnitude = Math.abs(x);
  const shift = (value: number, by: number) => (String(value).includes('e') ? value * 10 ** by : Number(`${value}e${by}`));
  const rounded = shift(Math.round(shift(magnitude, digits)), -digits);
  return (x < 0 ? -rounded : rounded) || 0; // || 0: no -0
}

function substring([value = null, start = null, length]: Values): CellValue {
  if (!isText(value) || !isNumber(start)) return null;
  if (length !== undefined && !isNumber(length)) return null;
  if (length !== undefined && length < 0) return null;
  const codePoints = Array.from(value);
  const from = Math.max(1, Math.trunc(start)) - 1;
  return codePoints.slice(from, length === undefined ? undefined : from + Math.trunc(length)).join('');
}

function round([value = null, digits]: Values): CellValue {
  if (!isNumber(value)) return null;
  if (digits === undefined) return finite(roundHalfAway(value, 0));
  if (!isNumber(digits)) return null;
  return finite(roundHalfAway(value, Math.max(-15, Math.min(15, Math.trunc(digits)))));
}

/**
 * What each derive function computes, from its arguments' values. A null argument makes a null
 * result, except concat (which skips nulls; null only when every part is) and coalesce (the first
 * non-null value). divide by zero is null; substring counts code points from 1 (start[, length]);
 * round(x[, digits]) rounds halves away from zero; to_number of unreadable text is null; length
 * counts code points.
 */
export const DERIVE_IMPLEMENTATIONS: Record<DeriveFunction, Implementation> = {
  concat: (values) => {
    const parts = values.filter((value): value is Exclude<CellValue, null> => value !== null);
    return parts.length ? parts.map(textOf).join('') : null;
  },
  upper: text((value) => value.toUpperCase()),
  lower: text((value) => value.toLowerCase()),
  trim: text((value) => value.trim()),
  length: text((value) => Array.from(value).length),
  substring,
  add: arithmetic((a, b) => a + b),
  subtract: arithmetic((a, b) => a - b),
  multiply: arithmetic((a, b) => a * b),
  divide: arithmetic((a, b) => (b === 0 ? NaN : a / b)),
  round,
  abs: ([value = null]) => (isNumber(value) ? Math.abs(value) : null),
  coalesce: (values) => values.find((value) => value !== null) ?? null,
  to_string: ([value = null]) => (value === null ? null : textOf(value)),
  to_number: ([value = null]) => {
    const number = castValue(value, 'number');
    return number === UNREADABLE ? null : number;
  },
};

/** A derived value as its column's type holds it: an integer column's value is a safe integer or null. */
export function fitDerived(value: CellValue, type: ColumnType): CellValue {
  if (type === 'integer' && typeof value === 'number' && !Number.isSafeInteger(value)) return null;
  return value;
}
