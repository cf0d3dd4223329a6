import type { DeriveArgument, Program, Step } from '@conveyor/contracts';
import { planProgram } from '../program/check-program';
import type { DatasetColumn } from '../rows';
import type { StepSummary } from '../run/tracked-row';
import { describeCondition, quoted } from './describe-condition';

/** The longest sentence describeTransformation writes. */
export const MAX_TRANSFORMATION_CHARS = 1000;

/** A count as a person reads it: 1,500. */
function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1 row`, `150 rows` (any noun with a plain -s plural). */
function counted(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function listed(columns: string[]): string {
  return columns.join(', ');
}

function argument(arg: DeriveArgument): string {
  return 'column' in arg ? arg.column : quoted(arg.value);
}

/** One step in words, with its counts when they cover every row. */
function describeStep(step: Step, stats: StepSummary | undefined, replaced: boolean): string {
  const known = stats?.complete ? stats : undefined;
  const removed = known && known.rowsIn - known.rowsOut;
  const changedValues = known ? ` (${counted(known.valuesChanged, 'value')} changed)` : '';
  switch (step.op) {
    case 'filter': {
      const where = describeCondition(step.where);
      if (step.action === 'remove') return known ? `Dropped ${counted(removed!, 'row')} where ${where}` : `Dropped the rows where ${where}`;
      return known ? `Kept ${counted(known.rowsOut, 'row')} where ${where} (dropped ${count(removed!)})` : `Kept the rows where ${where}`;
    }
    case 'drop_columns':
      return `Dropped the column${step.columns.length === 1 ? '' : 's'} ${listed(step.columns)}`;
    case 'rename_columns':
      return `Renamed ${step.renames.map((rename) => `${rename.from} to ${rename.to}`).join(', ')}`;
    case 'reorder_columns':
      return `Moved ${listed(step.columns)} to the front`;
    case 'cast': {
      const unreadable = known?.unreadable ? ` (${counted(known.unreadable, 'value')} could not be read and became null)` : '';
      return `Cast ${step.column} to ${step.to}${unreadable}`;
    }
    case 'fill_missing':
      return known
        ? `Filled ${count(known.valuesChanged)} missing value${known.valuesChanged === 1 ? '' : 's'} of ${step.column} with ${quoted(step.value)}`
        : `Filled the missing values of ${step.column} with ${quoted(step.value)}`;
    case 'trim':
      return `Trimmed spaces in ${listed(step.columns)}${changedValues}`;
    case 'change_case':
      return `Changed ${listed(step.columns)} to ${step.case} case${changedValues}`;
    case 'deduplicate':
      return known
        ? `Removed ${count(removed!)} duplicate row${removed === 1 ? '' : 's'} by ${listed(step.columns)}`
        : `Removed the duplicate rows by ${listed(step.columns)}`;
    case 'sort':
      return `Sorted by ${step.by.map((key) => (key.direction === 'desc' ? `${key.column} descending` : key.column)).join(', then ')}`;
    case 'limit': {
      const first = step.count === 1 ? 'the first row' : `the first ${count(step.count)} rows`;
      return known ? `Kept ${first} (dropped ${count(removed!)})` : `Kept ${first}`;
    }
    case 'derive':
      return `${replaced ? 'Replaced' : 'Added'} the column ${step.column} = ${step.function}(${step.args.map(argument).join(', ')})`;
  }
}

/**
 * What a program did, as one sentence written from the program and its counts (never by a
 * model): each step in words, joined by "; then ", e.g. `Dropped 150 rows where email was null`,
 * `Kept 850 rows where age was greater than 30 (dropped 150)`, `Cast age to integer (3 values
 * could not be read and became null)`. A step whose counts do not cover every row (before a
 * limit that stopped reading early) is described without them. At most 1,000 characters.
 */
export function describeTransformation(program: Program, columns: DatasetColumn[], steps: StepSummary[]): string {
  const planned = planProgram(program, columns);
  const clauses = program.steps.map((step, index) => {
    const before = index === 0 ? columns : planned.ok ? planned.columnsAfter[index - 1]! : [];
    const replaced = step.op === 'derive' && before.some((column) => column.name === step.column);
    const clause = describeStep(step, steps[index], replaced);
    return index === 0 ? clause : clause.charAt(0).toLowerCase() + clause.slice(1);
  });
  return capped(clauses.join('; then '));
}

/** A sentence cut to MAX_TRANSFORMATION_CHARS, ending in "…" when cut (never through a character). */
function capped(sentence: string): string {
  if (sentence.length <= MAX_TRANSFORMATION_CHARS) return sentence;
  let end = MAX_TRANSFORMATION_CHARS - 1;
  const last = sentence.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${sentence.slice(0, end)}…`;
}
