import type { Program, Step } from '@conveyor/contracts';
import { checkProgram, type DatasetColumn } from '../src';

const columns: DatasetColumn[] = [
  { name: 'id', type: 'integer' },
  { name: 'name', type: 'string' },
  { name: 'email', type: 'string' },
  { name: 'age', type: 'integer' },
  { name: 'score', type: 'number' },
  { name: 'active', type: 'boolean' },
  { name: 'meta', type: 'json' },
];

function problemsOf(...steps: Step[]): string[] {
  const checked = checkProgram({ steps } as Program, columns);
  return checked.ok ? [] : checked.problems;
}

function columnsAfter(...steps: Step[]): DatasetColumn[] {
  const checked = checkProgram({ steps } as Program, columns);
  if (!checked.ok) throw new Error(checked.problems.join('\n'));
  return checked.columns;
}

describe('checkProgram', () => {
  it('names the step and the columns there are when a column does not exist', () => {
    const checked = checkProgram({ steps: [{ op: 'filter', action: 'remove', where: { column: 'emial', op: 'is_null' } }] }, columns.slice(0, 3));
    expect(checked).toEqual({ ok: false, problems: ['step 1 (filter): there is no column "emial"; the columns are id, name, email'] });
  });

  it('keeps the columns of a program that only filters, sorts, fills and limits', () => {
    expect(
      columnsAfter(
        { op: 'filter', action: 'keep', where: { and: [{ column: 'age', op: 'gt', value: 30 }, { not: { column: 'meta', op: 'is_null' } }] } },
        { op: 'sort', by: [{ column: 'score', direction: 'desc' }] },
        { op: 'fill_missing', column: 'name', value: 'Unknown' },
        { op: 'limit', count: 10 },
      ),
    ).toEqual(columns);
  });

  it('walks the steps with the columns as they change', () => {
    expect(
      columnsAfter(
        { op: 'rename_columns', renames: [{ from: 'email', to: 'contact_email' }] },
        { op: 'filter', action: 'remove', where: { column: 'contact_email', op: 'is_null' } },
        { op: 'drop_columns', columns: ['meta', 'active'] },
        { op: 'cast', column: 'age', to: 'string' },
        { op: 'filter', action: 'keep', where: { column: 'age', op: 'eq', value: '30' } },
        { op: 'derive', column: 'label', function: 'concat', args: [{ column: 'name' }, { value: ' <' }, { column: 'contact_email' }, { value: '>' }] },
        { op: 'derive', column: 'score', function: 'round', args: [{ column: 'score' }] },
        { op: 'reorder_columns', columns: ['label', 'id'] },
      ),
    ).toEqual([
      { name: 'label', type: 'string' },
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'contact_email', type: 'string' },
      { name: 'age', type: 'string' },
      { name: 'score', type: 'integer' },
    ]);
    expect(
      problemsOf(
        { op: 'rename_columns', renames: [{ from: 'email', to: 'contact_email' }] },
        { op: 'filter', action: 'remove', where: { column: 'email', op: 'is_null' } },
        { op: 'drop_columns', columns: ['meta'] },
        { op: 'sort', by: [{ column: 'meta', direction: 'asc' }] },
      ),
    ).toEqual([
      'step 2 (filter): there is no column "email"; the columns are id, name, contact_email, age, score, active, meta',
      'step 4 (sort): there is no column "meta"; the columns are id, name, contact_email, age, score, active',
    ]);
  });

  it.each([
    [{ column: 'age', op: 'gt', value: '30' }, '"age" is an integer column: compare it with a number, like 30, not "30"'],
    [{ column: 'name', op: 'eq', value: 30 }, '"name" is a string column: compare it with text, like "30", not 30'],
    [{ column: 'active', op: 'eq', value: 'yes' }, '"active" is a boolean column: compare it with true or false, not "yes"'],
    [{ column: 'active', op: 'gt', value: true }, '"active" is a boolean column: compare it with eq or ne, not gt'],
    [{ column: 'score', op: 'in', values: [1, 2.5, 'three'] }, '"score" is a number column: compare it with a number, like 30, not "three"'],
    [{ column: 'meta', op: 'eq', value: 'x' }, '"meta" is a json column: it can only be checked with is_null or is_not_null'],
    [{ column: 'meta', op: 'contains', value: 'x' }, '"meta" is a json column: it can only be checked with is_null or is_not_null'],
    [
      { or: [{ column: 'age', op: 'lt', value: 3 }, { not: { column: 'nope', op: 'is_not_null' } }] },
      'there is no column "nope"; the columns are id, name, email, age, score, active, meta',
    ],
  ] as const)('refuses a condition that does not fit its column: %j', (where, problem) => {
    expect(problemsOf({ op: 'filter', action: 'keep', where } as Step)).toEqual([`step 1 (filter): ${problem}`]);
  });

  it('lets the text operations read integer, number and boolean columns as text', () => {
    expect(problemsOf({ op: 'filter', action: 'keep', where: { column: 'id', op: 'starts_with', value: '55' } })).toEqual([]);
    expect(problemsOf({ op: 'filter', action: 'keep', where: { column: 'active', op: 'contains', value: 'tr' } })).toEqual([]);
  });

  it('renames columns at once (a swap is fine) but not onto a name another column keeps', () => {
    expect(
      columnsAfter({
        op: 'rename_columns',
        renames: [
          { from: 'name', to: 'email' },
          { from: 'email', to: 'name' },
        ],
      }).slice(1, 3),
    ).toEqual([
      { name: 'email', type: 'string' },
      { name: 'name', type: 'string' },
    ]);
    expect(problemsOf({ op: 'rename_columns', renames: [{ from: 'email', to: 'name' }] })).toEqual([
      'step 1 (rename_columns): there is already a column "name"; rename "email" to a name no other column has (or drop "name" first)',
    ]);
    expect(
      problemsOf({
        op: 'rename_columns',
        renames: [
          { from: 'email', to: 'x' },
          { from: 'name', to: 'x' },
        ],
      }),
    ).toEqual(['step 1 (rename_columns): "x" appears twice in the new names; name each column once']);
  });

  it('refuses dropping every column, and a name twice in a list', () => {
    expect(problemsOf({ op: 'drop_columns', columns: columns.map((column) => column.name) })).toEqual([
      'step 1 (drop_columns): this would drop every column; a dataset keeps at least one',
    ]);
    expect(problemsOf({ op: 'deduplicate', columns: ['email', 'email'] })).toEqual([
      'step 1 (deduplicate): "email" appears twice in columns; name each column once',
    ]);
    expect(problemsOf({ op: 'reorder_columns', columns: ['id', 'id'] })).toEqual([
      'step 1 (reorder_columns): "id" appears twice in columns; name each column once',
    ]);
  });

  it('refuses trim and change_case on columns that are not text, and fill values of another type', () => {
    expect(problemsOf({ op: 'trim', columns: ['name', 'age'] })).toEqual([
      'step 1 (trim): trim works on text, and "age" is an integer column; cast it to string first',
    ]);
    expect(problemsOf({ op: 'fill_missing', column: 'age', value: 2.5 })).toEqual([
      'step 1 (fill_missing): "age" is an integer column: fill it with a whole number, not 2.5',
    ]);
    expect(problemsOf({ op: 'fill_missing', column: 'name', value: 0 })).toEqual([
      'step 1 (fill_missing): "name" is a string column: fill it with text, like "30", not 0',
    ]);
    expect(problemsOf({ op: 'fill_missing', column: 'score', value: 0 })).toEqual([]);
    expect(problemsOf({ op: 'fill_missing', column: 'meta', value: 'none' })).toEqual([]);
  });

  it.each([
    [
      { function: 'upper', args: [{ column: 'age' }] },
      'argument 1 of upper must be text (a string column or a quoted value), and the column "age" is an integer',
    ],
    [
      { function: 'add', args: [{ column: 'age' }, { value: '1' }] },
      'argument 2 of add must be a number (an integer or number column, or a number), and "1" is a string',
    ],
    [{ function: 'substring', args: [{ column: 'name' }, { value: 1.5 }] }, 'argument 2 of substring must be a whole number, and 1.5 is a number'],
    [{ function: 'substring', args: [{ column: 'name' }, { value: 0 }] }, 'substring counts from 1: its start is 1 or more, not 0'],
    [
      { function: 'coalesce', args: [{ column: 'name' }, { value: 0 }] },
      'the arguments of coalesce are of different types (string, integer); give it values of one type',
    ],
    [{ function: 'to_number', args: [{ column: 'meta' }] }, 'argument 1 of to_number must be a value that is not json, and the column "meta" is a json'],
    [{ function: 'length', args: [{ column: 'nope' }] }, 'there is no column "nope"; the columns are id, name, email, age, score, active, meta'],
  ] as const)('refuses a derive whose arguments do not fit: %j', (derive, problem) => {
    expect(problemsOf({ op: 'derive', column: 'out', ...derive } as unknown as Step)).toEqual([`step 1 (derive): ${problem}`]);
  });

  it.each([
    ['add', [{ column: 'age' }, { value: 1 }], 'integer'],
    ['add', [{ column: 'age' }, { column: 'score' }], 'number'],
    ['divide', [{ column: 'age' }, { value: 2 }], 'number'],
    ['round', [{ column: 'score' }, { value: 2 }], 'number'],
    ['abs', [{ column: 'age' }], 'integer'],
    ['length', [{ column: 'name' }], 'integer'],
    ['coalesce', [{ column: 'age' }, { column: 'score' }], 'number'],
    ['coalesce', [{ column: 'meta' }, { column: 'meta' }], 'json'],
    ['to_string', [{ column: 'meta' }], 'string'],
    ['to_number', [{ column: 'name' }], 'number'],
  ] as const)('types a derived %s of %j as %s', (fn, args, type) => {
    expect(columnsAfter({ op: 'derive', column: 'out', function: fn, args } as unknown as Step).at(-1)).toEqual({ name: 'out', type });
  });

  it('refuses what programSchema refuses, even when it did not come through it', () => {
    const hostile = { steps: [{ op: 'eval', code: 'process.exit()' }] } as unknown as Program;
    const checked = checkProgram(hostile, columns);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.problems[0]).toMatch(/^the program is not in the transformation language: steps.0.op: /);
  });

  it('finds columns named __proto__ and constructor by name, and no others', () => {
    const odd: DatasetColumn[] = [
      { name: '__proto__', type: 'string' },
      { name: 'constructor', type: 'integer' },
    ];
    const checked = checkProgram({ steps: [{ op: 'filter', action: 'keep', where: { column: 'constructor', op: 'gt', value: 1 } }] }, odd);
    expect(checked).toEqual({ ok: true, columns: odd });
    expect(checkProgram({ steps: [{ op: 'drop_columns', columns: ['toString'] }] }, odd)).toEqual({
      ok: false,
      problems: ['step 1 (drop_columns): there is no column "toString"; the columns are __proto__, constructor'],
    });
  });
});
