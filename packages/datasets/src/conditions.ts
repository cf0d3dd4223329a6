import type { CellValue, Condition, Scalar } from '@conveyor/contracts';
import { textOf } from './cast-value';
import { compareCells } from './compare-values';
import type { Row } from './rows';

/** Whether a row matches a condition. */
export type RowPredicate = (cells: Row) => boolean;

type Comparison = Extract<Condition, { op: 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' }>;
type TextMatch = Extract<Condition, { op: 'contains' | 'starts_with' | 'ends_with' }>;

const ORDER_TESTS: Record<Comparison['op'], (order: number) => boolean> = {
  eq: (order) => order === 0,
  ne: (order) => order !== 0,
  lt: (order) => order < 0,
  lte: (order) => order <= 0,
  gt: (order) => order > 0,
  gte: (order) => order >= 0,
};

function comparison(position: number, condition: Comparison): RowPredicate {
  const test = ORDER_TESTS[condition.op];
  const whenNull = condition.op === 'ne';
  const value = condition.value;
  return (cells) => {
    const cell = cells[position] ?? null;
    return cell === null ? whenNull : test(compareCells(cell, value));
  };
}

function membership(position: number, values: Scalar[], negated: boolean): RowPredicate {
  const set = new Set<CellValue>(values);
  return (cells) => {
    const cell = cells[position] ?? null;
    if (cell === null) return negated;
    return set.has(cell) !== negated;
  };
}

function textMatch(position: number, condition: TextMatch): RowPredicate {
  const fold = condition.case_sensitive ? (text: string) => text : (text: string) => text.toLowerCase();
  const wanted = fold(condition.value);
  const matches =
    condition.op === 'contains'
      ? (text: string) => text.includes(wanted)
      : condition.op === 'starts_with'
        ? (text: string) => text.startsWith(wanted)
        : (text: string) => text.endsWith(wanted);
  return (cells) => {
    const cell = cells[position] ?? null;
    return cell !== null && matches(fold(textOf(cell)));
  };
}

/**
 * The predicate of a checked condition over rows of these columns (found by name in a Map).
 * A null cell matches is_null, ne and not_in, and nothing else; text operations fold case unless
 * case_sensitive and read numbers and booleans as their text; strings compare by code point.
 */
export function compileCondition(condition: Condition, positions: ReadonlyMap<string, number>): RowPredicate {
  if ('and' in condition) {
    const parts = condition.and.map((part) => compileCondition(part, positions));
    return (cells) => parts.every((part) => part(cells));
  }
  if ('or' in condition) {
    const parts = condition.or.map((part) => compileCondition(part, positions));
    return (cells) => parts.some((part) => part(cells));
  }
  if ('not' in condition) {
    const inner = compileCondition(condition.not, positions);
    return (cells) => !inner(cells);
  }
  const position = positions.get(condition.column);
  if (position === undefined) throw new Error(`the condition names the column ${JSON.stringify(condition.column)}, which the checked program does not have`);
  switch (condition.op) {
    case 'is_null':
      return (cells) => (cells[position] ?? null) === null;
    case 'is_not_null':
      return (cells) => (cells[position] ?? null) !== null;
    case 'in':
      return membership(position, condition.values, false);
    case 'not_in':
      return membership(position, condition.values, true);
    case 'contains':
    case 'starts_with':
    case 'ends_with':
      return textMatch(position, condition);
    default:
      return comparison(position, condition);
  }
}
