import type { Condition, Program, Step } from '@conveyor/contracts';
import { describeCondition, describeTransformation, MAX_TRANSFORMATION_CHARS, type Row, type StepSummary } from '../src';
import { columnsOf, run } from './run-helpers';

const columns = columnsOf({ id: 'integer', first: 'string', last: 'string', name: 'string', email: 'string', age: 'string', city: 'string', phone: 'string' });

function counts(op: string, partial: Partial<StepSummary> = {}): StepSummary {
  return { op, rowsIn: 1000, rowsOut: 1000, changed: 0, valuesChanged: 0, unreadable: 0, complete: true, ...partial };
}

function sentence(step: Step, stats: Partial<StepSummary> = {}): string {
  return describeTransformation({ steps: [step] }, columns, [counts(step.op, stats)]);
}

describe('the transformation sentence', () => {
  it('reads the seed example exactly, from a real run', async () => {
    const rows: Row[] = Array.from({ length: 1000 }, (_, i) => [i, 'a', 'b', 'n', i % 20 < 3 ? null : `u${i}@example.com`, '30', 'c', 'p']);
    const { summary } = await run([{ op: 'filter', action: 'remove', where: { column: 'email', op: 'is_null' } }], columns, rows);
    expect(summary.transformation).toBe('Dropped 150 rows where email was null');
    const one = await run([{ op: 'filter', action: 'remove', where: { column: 'email', op: 'is_null' } }], columns, rows.slice(2, 4));
    expect(one.summary.transformation).toBe('Dropped 1 row where email was null');
  });

  it.each([
    [
      { op: 'filter', action: 'keep', where: { column: 'age', op: 'gt', value: 30 } },
      { rowsOut: 850 },
      'Kept 850 rows where age was greater than 30 (dropped 150)',
    ],
    [{ op: 'filter', action: 'remove', where: { column: 'age', op: 'lte', value: 30 } }, { rowsOut: 0 }, 'Dropped 1,000 rows where age was at most 30'],
    [{ op: 'drop_columns', columns: ['phone'] }, {}, 'Dropped the column phone'],
    [{ op: 'drop_columns', columns: ['phone', 'city'] }, {}, 'Dropped the columns phone, city'],
    [{ op: 'rename_columns', renames: [{ from: 'email', to: 'contact_email' }] }, {}, 'Renamed email to contact_email'],
    [{ op: 'reorder_columns', columns: ['name', 'email'] }, {}, 'Moved name, email to the front'],
    [{ op: 'cast', column: 'age', to: 'integer' }, { unreadable: 3 }, 'Cast age to integer (3 values could not be read and became null)'],
    [{ op: 'cast', column: 'age', to: 'integer' }, { unreadable: 1 }, 'Cast age to integer (1 value could not be read and became null)'],
    [{ op: 'cast', column: 'age', to: 'integer' }, {}, 'Cast age to integer'],
    [{ op: 'fill_missing', column: 'city', value: 'Unknown' }, { valuesChanged: 12 }, 'Filled 12 missing values of city with "Unknown"'],
    [{ op: 'fill_missing', column: 'id', value: 0 }, { valuesChanged: 1 }, 'Filled 1 missing value of id with 0'],
    [{ op: 'trim', columns: ['name'] }, { valuesChanged: 40 }, 'Trimmed spaces in name (40 values changed)'],
    [{ op: 'change_case', columns: ['name'], case: 'upper' }, { valuesChanged: 5 }, 'Changed name to upper case (5 values changed)'],
    [{ op: 'change_case', columns: ['name', 'city'], case: 'title' }, { valuesChanged: 1 }, 'Changed name, city to title case (1 value changed)'],
    [{ op: 'deduplicate', columns: ['email'] }, { rowsOut: 993 }, 'Removed 7 duplicate rows by email'],
    [{ op: 'deduplicate', columns: ['first', 'last'] }, { rowsOut: 999 }, 'Removed 1 duplicate row by first, last'],
    [
      {
        op: 'sort',
        by: [
          { column: 'age', direction: 'desc' },
          { column: 'name', direction: 'asc' },
        ],
      },
      {},
      'Sorted by age descending, then name',
    ],
    [{ op: 'limit', count: 100 }, { rowsOut: 100 }, 'Kept the first 100 rows (dropped 900)'],
    [{ op: 'limit', count: 1 }, { rowsOut: 1 }, 'Kept the first row (dropped 999)'],
    [
      { op: 'derive', column: 'full_name', function: 'concat', args: [{ column: 'first' }, { value: ' ' }, { column: 'last' }] },
      {},
      'Added the column full_name = concat(first, " ", last)',
    ],
    [{ op: 'derive', column: 'name', function: 'upper', args: [{ column: 'name' }] }, {}, 'Replaced the column name = upper(name)'],
  ] as [Step, Partial<StepSummary>, string][])('describes %j', (step, stats, expected) => {
    expect(sentence(step, stats)).toBe(expected);
  });

  it.each([
    [{ column: 'email', op: 'is_null' }, 'email was null'],
    [{ column: 'email', op: 'is_not_null' }, 'email was not null'],
    [{ column: 'age', op: 'gt', value: 30 }, 'age was greater than 30'],
    [{ column: 'age', op: 'gte', value: 30 }, 'age was at least 30'],
    [{ column: 'age', op: 'lt', value: 30 }, 'age was less than 30'],
    [{ column: 'age', op: 'eq', value: 30 }, 'age was 30'],
    [{ column: 'city', op: 'ne', value: 'Paris' }, 'city was not "Paris"'],
    [{ column: 'country', op: 'in', values: ['FR', 'DE'] }, 'country was one of "FR", "DE"'],
    [{ column: 'country', op: 'not_in', values: ['FR'] }, 'country was not one of "FR"'],
    [{ column: 'name', op: 'contains', value: 'bob' }, 'name contained "bob"'],
    [{ column: 'name', op: 'starts_with', value: 'B', case_sensitive: true }, 'name started with "B" (matching case)'],
    [{ column: 'name', op: 'ends_with', value: 'son' }, 'name ended with "son"'],
    [
      {
        and: [
          { column: 'a', op: 'is_null' },
          { column: 'b', op: 'eq', value: true },
        ],
      },
      '(a was null and b was true)',
    ],
    [{ or: [{ column: 'a', op: 'is_null' }, { not: { column: 'b', op: 'is_null' } }] }, '(a was null or not (b was null))'],
    [
      {
        not: {
          and: [
            { column: 'a', op: 'is_null' },
            { column: 'b', op: 'is_null' },
          ],
        },
      },
      'not (a was null and b was null)',
    ],
    [{ column: 'note', op: 'eq', value: 'say "hi"\nthen drop table tasks' }, 'note was "say \\"hi\\"\\nthen drop table tasks"'],
  ] as [Condition, string][])('reads the condition %j naturally', (condition, expected) => {
    expect(describeCondition(condition)).toBe(expected);
  });

  it('joins the steps with "; then "', () => {
    const program: Program = {
      steps: [
        { op: 'filter', action: 'remove', where: { column: 'email', op: 'is_null' } },
        { op: 'rename_columns', renames: [{ from: 'email', to: 'contact_email' }] },
        { op: 'limit', count: 10 },
      ],
    };
    const stats = [counts('filter', { rowsOut: 850 }), counts('rename_columns', { rowsIn: 850, rowsOut: 850 }), counts('limit', { rowsIn: 850, rowsOut: 10 })];
    expect(describeTransformation(program, columns, stats)).toBe(
      'Dropped 150 rows where email was null; then renamed email to contact_email; then kept the first 10 rows (dropped 840)',
    );
  });

  it('leaves out counts that do not cover every row, when a limit stopped reading early', async () => {
    const rows: Row[] = Array.from({ length: 100 }, (_, i) => [i, 'a', 'b', ' n ', i % 2 ? null : 'e', '1', 'c', 'p']);
    const steps: Step[] = [
      { op: 'filter', action: 'remove', where: { column: 'email', op: 'is_null' } },
      { op: 'trim', columns: ['name'] },
      { op: 'limit', count: 5 },
    ];
    const unknownSize = await run(steps, columns, rows, { chunkSize: 4 });
    expect(unknownSize.summary.transformation).toBe('Dropped the rows where email was null; then trimmed spaces in name; then kept the first 5 rows');
    const knownSize = await run(steps, columns, rows, { chunkSize: 4, inputRows: 100 });
    expect(knownSize.summary.transformation).toBe(
      'Dropped the rows where email was null; then trimmed spaces in name; then kept the first 5 rows (dropped 89)',
    );
    expect(knownSize.summary).toMatchObject({ rowsIn: 100, rowsOut: 5, rowsAffected: 100 });
  });

  it(`is at most ${MAX_TRANSFORMATION_CHARS} characters`, () => {
    // The cut falls between the halves of an emoji: it is moved before the emoji.
    const values = Array.from({ length: 200 }, () => `x${'😀'.repeat(10)}`);
    const text = sentence({ op: 'filter', action: 'keep', where: { column: 'city', op: 'in', values } }, { rowsOut: 3 });
    expect(text.length).toBe(MAX_TRANSFORMATION_CHARS - 1);
    expect(text).toMatch(/^Kept 3 rows where city was one of "x😀😀😀😀😀😀😀😀😀😀", .*😀…$/u);
    expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
