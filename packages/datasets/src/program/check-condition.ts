import type { Condition, Scalar } from '@conveyor/contracts';
import type { ColumnsInScope } from './columns-in-scope';
import { comparable, wantedValue } from './value-types';

function checkValues(column: string, scope: ColumnsInScope, op: string, values: Scalar[]): string[] {
  const type = scope.typeOf(column);
  if (type === undefined) return [scope.missing(column)];
  if (type === 'json' && op !== 'is_null' && op !== 'is_not_null') {
    return [`${JSON.stringify(column)} is a json column: it can only be checked with is_null or is_not_null`];
  }
  if (type === 'boolean' && ['lt', 'lte', 'gt', 'gte'].includes(op)) {
    return [`${JSON.stringify(column)} is a boolean column: compare it with eq or ne, not ${op}`];
  }
  const misfit = values.find((value) => !comparable(value, type));
  if (misfit === undefined) return [];
  return [
    `${JSON.stringify(column)} is ${type === 'integer' ? 'an' : 'a'} ${type} column: compare it with ${wantedValue(type)}, not ${JSON.stringify(misfit)}`,
  ];
}

/**
 * The problems of a condition over these columns: a column that does not exist; a constant of
 * another type than the column (a number for a numeric column, text for a string column, true
 * or false for a boolean one, which only eq and ne compare); anything but a null check on a json
 * column. The text operations (contains, starts_with, ends_with) also work on integer, number and
 * boolean columns, on the text of their values (a phone number stored as an integer starts with
 * "555"), so they take text whatever the column.
 */
export function checkCondition(condition: Condition, scope: ColumnsInScope): string[] {
  if ('and' in condition) return condition.and.flatMap((part) => checkCondition(part, scope));
  if ('or' in condition) return condition.or.flatMap((part) => checkCondition(part, scope));
  if ('not' in condition) return checkCondition(condition.not, scope);
  switch (condition.op) {
    case 'is_null':
    case 'is_not_null':
      return scope.has(condition.column) ? [] : [scope.missing(condition.column)];
    case 'in':
    case 'not_in':
      return checkValues(condition.column, scope, condition.op, condition.values);
    case 'contains':
    case 'starts_with':
    case 'ends_with':
      return checkValues(condition.column, scope, condition.op, []);
    default:
      return checkValues(condition.column, scope, condition.op, [condition.value]);
  }
}
