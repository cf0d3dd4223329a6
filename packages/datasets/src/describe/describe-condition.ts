import type { Condition, Scalar } from '@conveyor/contracts';

const COMPARISON_WORDS = { eq: 'was', ne: 'was not', lt: 'was less than', lte: 'was at most', gt: 'was greater than', gte: 'was at least' } as const;
const TEXT_WORDS = { contains: 'contained', starts_with: 'started with', ends_with: 'ended with' } as const;

/** A program's constant as a sentence quotes it: JSON (strings in double quotes, numbers and booleans bare). */
export function quoted(value: Scalar): string {
  return JSON.stringify(value);
}

/**
 * A condition as words, in the past tense of what the rows were: `email was null`,
 * `age was greater than 30`, `country was one of "FR", "DE"`, `name contained "bob"`,
 * `(a and b)`, `not (…)`.
 */
export function describeCondition(condition: Condition): string {
  if ('and' in condition) return `(${condition.and.map(describeCondition).join(' and ')})`;
  if ('or' in condition) return `(${condition.or.map(describeCondition).join(' or ')})`;
  if ('not' in condition) {
    const inner = describeCondition(condition.not);
    return inner.startsWith('(') ? `not ${inner}` : `not (${inner})`;
  }
  switch (condition.op) {
    case 'is_null':
      return `${condition.column} was null`;
    case 'is_not_null':
      return `${condition.column} was not null`;
    case 'in':
      return `${condition.column} was one of ${condition.values.map(quoted).join(', ')}`;
    case 'not_in':
      return `${condition.column} was not one of ${condition.values.map(quoted).join(', ')}`;
    case 'contains':
    case 'starts_with':
    case 'ends_with':
      return `${condition.column} ${TEXT_WORDS[condition.op]} ${quoted(condition.value)}${condition.case_sensitive ? ' (matching case)' : ''}`;
    default:
      return `${condition.column} ${COMPARISON_WORDS[condition.op]} ${quoted(condition.value)}`;
  }
}
