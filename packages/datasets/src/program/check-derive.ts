import type { ColumnType, DeriveArgument, DeriveFunction, Step } from '@conveyor/contracts';
import type { ColumnsInScope } from './columns-in-scope';
import { isNumeric, scalarType } from './value-types';

type DeriveStep = Extract<Step, { op: 'derive' }>;

/** What an argument must be: text (a string), numeric (integer or number), integer, anything but json, or anything. */
type ArgumentRule = 'text' | 'numeric' | 'integer' | 'not_json' | 'any';

interface Signature {
  /** The rule of each argument; the last one covers any further arguments. */
  rules: ArgumentRule[];
  /** The type of the result, from the arguments' types (undefined when they do not go together). */
  result(types: ColumnType[]): ColumnType | undefined;
}

const always = (type: ColumnType) => (): ColumnType => type;
const integerIfAll = (types: ColumnType[]): ColumnType => (types.every((type) => type === 'integer') ? 'integer' : 'number');

/** The common type of coalesce's arguments: all one type, or numbers of both kinds. */
function commonType(types: ColumnType[]): ColumnType | undefined {
  if (types.every((type) => type === types[0])) return types[0];
  return types.every(isNumeric) ? 'number' : undefined;
}

/** Every derive function's argument rules and result type. */
export const SIGNATURES: Record<DeriveFunction, Signature> = {
  concat: { rules: ['any'], result: always('string') },
  upper: { rules: ['text'], result: always('string') },
  lower: { rules: ['text'], result: always('string') },
  trim: { rules: ['text'], result: always('string') },
  length: { rules: ['text'], result: always('integer') },
  substring: { rules: ['text', 'integer', 'integer'], result: always('string') },
  add: { rules: ['numeric'], result: integerIfAll },
  subtract: { rules: ['numeric'], result: integerIfAll },
  multiply: { rules: ['numeric'], result: integerIfAll },
  divide: { rules: ['numeric'], result: always('number') },
  round: { rules: ['numeric', 'integer'], result: (types) => (types.length === 1 ? 'integer' : 'number') },
  abs: { rules: ['numeric'], result: (types) => types[0] },
  coalesce: { rules: ['any'], result: commonType },
  to_string: { rules: ['any'], result: always('string') },
  to_number: { rules: ['not_json'], result: always('number') },
};

function fits(rule: ArgumentRule, type: ColumnType): boolean {
  switch (rule) {
    case 'text':
      return type === 'string';
    case 'numeric':
      return isNumeric(type);
    case 'integer':
      return type === 'integer';
    case 'not_json':
      return type !== 'json';
    case 'any':
      return true;
  }
}

const RULE_WORDS: Record<ArgumentRule, string> = {
  text: 'text (a string column or a quoted value)',
  numeric: 'a number (an integer or number column, or a number)',
  integer: 'a whole number',
  not_json: 'a value that is not json',
  any: 'any value',
};

function describeArgument(argument: DeriveArgument): string {
  return 'column' in argument ? `the column ${JSON.stringify(argument.column)}` : JSON.stringify(argument.value);
}

/** Constants whose value makes no sense where they are: a substring's start before 1 or negative length, rounding past 15 digits. */
function constantProblems(step: DeriveStep): string[] {
  const constant = (index: number) => {
    const argument = step.args[index];
    return argument && 'value' in argument && typeof argument.value === 'number' ? argument.value : undefined;
  };
  const problems: string[] = [];
  if (step.function === 'substring') {
    const start = constant(1);
    const length = constant(2);
    if (start !== undefined && start < 1) problems.push(`substring counts from 1: its start is 1 or more, not ${start}`);
    if (length !== undefined && length < 0) problems.push(`a substring's length is 0 or more, not ${length}`);
  }
  const digits = step.function === 'round' ? constant(1) : undefined;
  if (digits !== undefined && Math.abs(digits) > 15) problems.push(`round takes -15 to 15 digits, not ${digits}`);
  return problems;
}

/**
 * The type of a derived column, or the problems of its arguments: columns that do not exist,
 * arguments of the wrong type for the function (upper takes text, add numbers, substring a
 * text and whole numbers...), coalesce of values of different types.
 */
export function checkDerive(step: DeriveStep, scope: ColumnsInScope): { type?: ColumnType; problems: string[] } {
  const signature = SIGNATURES[step.function];
  const problems: string[] = [];
  const types: ColumnType[] = [];
  step.args.forEach((argument, index) => {
    const type = 'column' in argument ? scope.typeOf(argument.column) : scalarType(argument.value);
    if (type === undefined) {
      problems.push(scope.missing((argument as { column: string }).column));
      return;
    }
    const rule = signature.rules[Math.min(index, signature.rules.length - 1)]!;
    if (!fits(rule, type)) {
      problems.push(
        `argument ${index + 1} of ${step.function} must be ${RULE_WORDS[rule]}, and ${describeArgument(argument)} is ${type === 'integer' ? 'an' : 'a'} ${type}`,
      );
    }
    types.push(type);
  });
  problems.push(...constantProblems(step));
  if (problems.length) return { problems };
  const type = signature.result(types);
  if (type === undefined) return { problems: [`the arguments of ${step.function} are of different types (${types.join(', ')}); give it values of one type`] };
  return { type, problems };
}
