import type { ColumnType, Scalar } from '@conveyor/contracts';

/** The column type a constant of a program has: a whole number is an integer. */
export function scalarType(value: Scalar): ColumnType {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'integer' : 'number';
  return typeof value === 'boolean' ? 'boolean' : 'string';
}

/** Whether integer and number: the numeric types, compared and computed together. */
export function isNumeric(type: ColumnType): boolean {
  return type === 'integer' || type === 'number';
}

/** What a value for a column of this type is, to say what a program should have written. */
export function wantedValue(type: ColumnType): string {
  switch (type) {
    case 'integer':
    case 'number':
      return 'a number, like 30';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'text, like "30"';
    case 'json':
      return 'any value';
  }
}

/** Whether a program's constant can be compared with a column's values (a number with any numeric column). */
export function comparable(value: Scalar, column: ColumnType): boolean {
  const type = scalarType(value);
  return type === column || (isNumeric(type) && isNumeric(column));
}
