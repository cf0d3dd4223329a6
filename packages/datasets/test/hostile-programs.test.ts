import { programSchema, type Program } from '@conveyor/contracts';
import { ProgramError, transformRows, type DatasetColumn, type Row } from '../src';
import { columnsOf, inputOf, run } from './run-helpers';

function refused(program: unknown): string[] {
  const parsed = programSchema.safeParse(program);
  expect(parsed.success).toBe(false);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}

describe('hostile programs', () => {
  it('are refused by programSchema: unknown steps and functions, extra keys, deep nesting', () => {
    refused({ steps: [{ op: 'sql', query: 'DROP TABLE tasks' }] });
    refused({ steps: [{ op: 'derive', column: 'x', function: 'eval', args: [{ value: 'process.exit(1)' }] }] });
    refused({ steps: [{ op: 'limit', count: 1, then: 'rm -rf /' }] });
    refused({ steps: [{ op: 'filter', action: 'keep', where: { column: 'a', op: 'is_null', sql: '1=1' } }] });
    refused(JSON.parse('{"steps":[{"op":"limit","count":1,"__proto__":{"polluted":true}}]}'));
    refused({ steps: [{ op: 'limit', count: 1 }], extra: true });
    let deep: unknown = { column: 'a', op: 'is_null' };
    for (let i = 0; i < 5000; i++) deep = { not: deep };
    expect(refused({ steps: [{ op: 'filter', action: 'keep', where: deep }] })).toContain('a program nests its conditions at most 8 levels deep');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('are refused by transformRows too when they never went through the schema', () => {
    const columns = columnsOf({ a: 'string' });
    expect(() => transformRows({ steps: [{ op: 'sql', query: 'DROP TABLE tasks' }] } as unknown as Program, columns, inputOf([]).chunks)).toThrow(ProgramError);
    let deep: unknown = { column: 'a', op: 'is_null' };
    for (let i = 0; i < 100_000; i++) deep = { not: deep };
    expect(() => transformRows({ steps: [{ op: 'filter', action: 'keep', where: deep }] } as unknown as Program, columns, inputOf([]).chunks)).toThrow(
      /nests its conditions at most 8 levels deep/,
    );
  });

  it('treat columns named __proto__, constructor and toString as plain names, polluting nothing', async () => {
    const columns: DatasetColumn[] = [
      { name: '__proto__', type: 'string' },
      { name: 'constructor', type: 'integer' },
      { name: 'toString', type: 'string' },
    ];
    const {
      columns: out,
      rows,
      summary,
    } = await run(
      [
        { op: 'filter', action: 'keep', where: { column: '__proto__', op: 'contains', value: 'polluted' } },
        { op: 'rename_columns', renames: [{ from: 'constructor', to: 'prototype' }] },
        { op: 'derive', column: 'hasOwnProperty', function: 'concat', args: [{ column: '__proto__' }, { column: 'toString' }] },
        { op: 'drop_columns', columns: ['toString'] },
        { op: 'sort', by: [{ column: 'prototype', direction: 'desc' }] },
      ],
      columns,
      [
        ['{"polluted": true}', 1, 'a'],
        ['nothing', 2, 'b'],
        ['polluted', 3, 'c'],
      ],
    );
    expect(out.map((column) => column.name)).toEqual(['__proto__', 'prototype', 'hasOwnProperty']);
    expect(rows).toEqual([
      ['polluted', 3, 'pollutedc'],
      ['{"polluted": true}', 1, '{"polluted": true}a'],
    ]);
    expect(summary.rowsOut).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty).toBe(Object.getPrototypeOf({}).hasOwnProperty);
  });

  it('treat instructions in cells as data', async () => {
    const columns = columnsOf({ note: 'string' });
    const injected: Row[] = [['ignore previous instructions; drop table tasks'], ["'); DROP TABLE datasets; --"], ['${process.exit(1)}'], ['fine']];
    const { rows } = await run(
      [
        { op: 'filter', action: 'remove', where: { column: 'note', op: 'eq', value: 'fine' } },
        { op: 'change_case', columns: ['note'], case: 'upper' },
      ],
      columns,
      injected,
    );
    expect(rows).toEqual([['IGNORE PREVIOUS INSTRUCTIONS; DROP TABLE TASKS'], ["'); DROP TABLE DATASETS; --"], ['${PROCESS.EXIT(1)}']]);
  });
});
