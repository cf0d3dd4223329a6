import type { Condition, Step } from '@conveyor/contracts';
import { CHUNK_ROWS } from '@conveyor/contracts';
import { ProgramError, transformRows, type Row } from '../src';
import { columnsOf, inputOf, run } from './run-helpers';

const people = columnsOf({ id: 'integer', name: 'string', email: 'string', age: 'integer', score: 'number', active: 'boolean' });
const rows: Row[] = [
  [1, 'Ann', 'ann@example.com', 34, 7.5, true],
  [2, 'bob', null, 28, null, false],
  [3, ' Cleo ', 'cleo@example.com', null, 9, true],
  [4, 'Dan', 'DAN@EXAMPLE.COM', 41, 3.25, null],
  [5, 'émile', null, 30, 7.5, false],
];

const ids = (out: Row[]) => out.map((row) => row[0]);

describe('transformRows: filter', () => {
  async function kept(where: Condition): Promise<unknown[]> {
    return ids((await run([{ op: 'filter', action: 'keep', where }], people, rows)).rows);
  }

  it('removes the matching rows and counts them', async () => {
    const { rows: out, summary } = await run([{ op: 'filter', action: 'remove', where: { column: 'email', op: 'is_null' } }], people, rows);
    expect(ids(out)).toEqual([1, 3, 4]);
    expect(summary).toMatchObject({ rowsIn: 5, rowsOut: 3, rowsAffected: 2 });
    expect(summary.steps).toEqual([{ op: 'filter', rowsIn: 5, rowsOut: 3, changed: 0, valuesChanged: 0, unreadable: 0, complete: true }]);
  });

  it.each([
    [{ column: 'age', op: 'gt', value: 30 }, [1, 4]],
    [{ column: 'age', op: 'gte', value: 30 }, [1, 4, 5]],
    [{ column: 'age', op: 'lt', value: 30.5 }, [2, 5]],
    [{ column: 'age', op: 'eq', value: 28 }, [2]],
    [{ column: 'age', op: 'ne', value: 28 }, [1, 3, 4, 5]],
    [{ column: 'score', op: 'lte', value: 7.5 }, [1, 4, 5]],
    [{ column: 'active', op: 'eq', value: true }, [1, 3]],
    [{ column: 'active', op: 'ne', value: true }, [2, 4, 5]],
    [{ column: 'email', op: 'is_null' }, [2, 5]],
    [{ column: 'email', op: 'is_not_null' }, [1, 3, 4]],
    [{ column: 'age', op: 'in', values: [28, 41, 99] }, [2, 4]],
    [{ column: 'age', op: 'not_in', values: [28, 41] }, [1, 3, 5]],
    [{ column: 'name', op: 'in', values: ['Ann', 'Bob'] }, [1]],
    [{ column: 'email', op: 'contains', value: 'EXAMPLE' }, [1, 3, 4]],
    [{ column: 'email', op: 'contains', value: 'EXAMPLE', case_sensitive: true }, [4]],
    [{ column: 'name', op: 'starts_with', value: 'B' }, [2]],
    [{ column: 'name', op: 'ends_with', value: 'O ' }, [3]],
    [{ column: 'name', op: 'starts_with', value: 'É' }, [5]],
    [{ column: 'score', op: 'starts_with', value: '7.' }, [1, 5]],
    [{ column: 'active', op: 'contains', value: 'ru' }, [1, 3]],
    [{ column: 'name', op: 'gt', value: 'Z' }, [2, 5]],
    [
      {
        and: [
          { column: 'age', op: 'gt', value: 29 },
          { column: 'active', op: 'eq', value: false },
        ],
      },
      [5],
    ],
    [
      {
        or: [
          { column: 'id', op: 'eq', value: 1 },
          { column: 'id', op: 'eq', value: 5 },
        ],
      },
      [1, 5],
    ],
    [{ not: { column: 'age', op: 'gt', value: 30 } }, [2, 3, 5]],
  ] as [Condition, number[]][])('keeps the rows where %j', async (where, expected) => {
    expect(await kept(where)).toEqual(expected);
  });

  it('compares strings by code point, not by UTF-16 unit', async () => {
    const texts = columnsOf({ t: 'string' });
    const { rows: out } = await run([{ op: 'filter', action: 'keep', where: { column: 't', op: 'gt', value: '\uff71' } }], texts, [
      ['\u{1F600}'],
      ['\uff70'],
      ['\uff72'],
    ]);
    expect(out).toEqual([['\u{1F600}'], ['\uff72']]);
  });
});

describe('transformRows: column steps', () => {
  it('drops, renames and reorders columns, every row counting as affected', async () => {
    const {
      columns,
      rows: out,
      summary,
    } = await run(
      [
        { op: 'drop_columns', columns: ['score', 'active'] },
        { op: 'rename_columns', renames: [{ from: 'email', to: 'contact_email' }] },
        { op: 'reorder_columns', columns: ['name', 'contact_email'] },
      ],
      people,
      rows,
    );
    expect(columns.map((column) => column.name)).toEqual(['name', 'contact_email', 'id', 'age']);
    expect(out[1]).toEqual(['bob', null, 2, 28]);
    expect(summary.rowsAffected).toBe(5);
    expect(summary.steps.map((step) => step.changed)).toEqual([5, 5, 5]);
  });

  it('counts nothing for a reorder that leaves the order as it was', async () => {
    const { summary } = await run([{ op: 'reorder_columns', columns: ['id', 'name'] }], people, rows);
    expect(summary.rowsAffected).toBe(0);
  });
});

describe('transformRows: cell steps', () => {
  it('casts a column, counting the values that could not be read', async () => {
    const texts = columnsOf({ id: 'integer', age: 'string' });
    const {
      columns,
      rows: out,
      summary,
    } = await run([{ op: 'cast', column: 'age', to: 'integer' }], texts, [
      [1, '34'],
      [2, 'thirty'],
      [3, null],
      [4, ' 41 '],
      [5, 'n/a'],
    ]);
    expect(columns).toEqual(columnsOf({ id: 'integer', age: 'integer' }));
    expect(out).toEqual([
      [1, 34],
      [2, null],
      [3, null],
      [4, 41],
      [5, null],
    ]);
    expect(summary.steps[0]).toMatchObject({ changed: 4, valuesChanged: 4, unreadable: 2 });
    expect(summary.rowsAffected).toBe(4);
  });

  it('fills missing values, trims and changes case, counting changed values', async () => {
    const { rows: out, summary } = await run(
      [
        { op: 'fill_missing', column: 'email', value: 'unknown' },
        { op: 'trim', columns: ['name'] },
        { op: 'change_case', columns: ['name', 'email'], case: 'title' },
      ],
      people,
      rows,
    );
    expect(out.map((row) => [row[1], row[2]])).toEqual([
      ['Ann', 'Ann@Example.Com'],
      ['Bob', 'Unknown'],
      ['Cleo', 'Cleo@Example.Com'],
      ['Dan', 'Dan@Example.Com'],
      ['Émile', 'Unknown'],
    ]);
    expect(summary.steps.map((step) => [step.changed, step.valuesChanged])).toEqual([
      [2, 2],
      [1, 1],
      [5, 7],
    ]);
    expect(summary.rowsAffected).toBe(5);
    expect(rows[2]![1]).toBe(' Cleo ');
  });

  it('writes title case word by word, keeping words with apostrophes whole', async () => {
    const texts = columnsOf({ t: 'string' });
    const { rows: out } = await run([{ op: 'change_case', columns: ['t'], case: 'title' }], texts, [["o'NEIL don't STOP-me now"], ['ÉCOLE du monde']]);
    expect(out).toEqual([["O'neil Don't Stop-Me Now"], ['École Du Monde']]);
  });

  it('counts a surviving row once, however many steps changed it, plus the removed rows', async () => {
    const { summary } = await run(
      [
        { op: 'filter', action: 'remove', where: { column: 'id', op: 'eq', value: 4 } },
        { op: 'trim', columns: ['name'] },
        { op: 'change_case', columns: ['name'], case: 'upper' },
      ],
      people,
      rows,
    );
    expect(summary).toMatchObject({ rowsIn: 5, rowsOut: 4, rowsAffected: 1 + 4 });
  });
});

describe('transformRows: deduplicate, sort, limit', () => {
  it('keeps the first row of each group, nulls equal to nulls', async () => {
    const { rows: out, summary } = await run([{ op: 'deduplicate', columns: ['email'] }], people, rows);
    expect(ids(out)).toEqual([1, 2, 3, 4]);
    expect(summary).toMatchObject({ rowsOut: 4, rowsAffected: 1 });
    const both = await run([{ op: 'deduplicate', columns: ['score', 'email'] }], people, rows);
    expect(ids(both.rows)).toEqual([1, 2, 3, 4, 5]);
  });

  it('sorts by several keys, stable, missing values last in both directions, counting the rows that moved', async () => {
    const ascending = await run([{ op: 'sort', by: [{ column: 'score', direction: 'asc' }] }], people, rows);
    expect(ids(ascending.rows)).toEqual([4, 1, 5, 3, 2]);
    const descending = await run([{ op: 'sort', by: [{ column: 'score', direction: 'desc' }] }], people, rows);
    expect(ids(descending.rows)).toEqual([3, 1, 5, 4, 2]);
    expect(descending.summary.rowsAffected).toBe(4);
    const twoKeys = await run(
      [
        {
          op: 'sort',
          by: [
            { column: 'active', direction: 'desc' },
            { column: 'name', direction: 'asc' },
          ],
        },
      ],
      people,
      rows,
    );
    expect(ids(twoKeys.rows)).toEqual([3, 1, 2, 5, 4]);
  });

  it('stops reading the input once a limit has its rows, counting the unread rows as dropped when the input size is known', async () => {
    const many: Row[] = Array.from({ length: 100 }, (_, i) => [i, `n${i}`, null, i, null, null]);
    const { rows: out, summary, input } = await run([{ op: 'limit', count: 5 }], people, many, { chunkSize: 2, inputRows: 100 });
    expect(ids(out)).toEqual([0, 1, 2, 3, 4]);
    expect(input.drained).toBe(false);
    expect(input.chunksRead).toBe(3);
    expect(summary).toMatchObject({ rowsIn: 100, rowsOut: 5, rowsAffected: 95 });
    expect(summary.steps[0]).toMatchObject({ rowsIn: 100, rowsOut: 5 });

    const filtered = await run(
      [
        { op: 'filter', action: 'keep', where: { column: 'id', op: 'gte', value: 10 } },
        { op: 'limit', count: 3 },
      ],
      people,
      many,
      { chunkSize: 4 },
    );
    expect(ids(filtered.rows)).toEqual([10, 11, 12]);
    expect(filtered.input.drained).toBe(false);
    expect(filtered.summary.rowsIn).toBe(16);

    const none = await run([{ op: 'limit', count: 0 }], people, many, { inputRows: 100 });
    expect(none.rows).toEqual([]);
    expect(none.input.chunksRead).toBe(0);
    expect(none.summary).toMatchObject({ rowsIn: 100, rowsOut: 0, rowsAffected: 100 });
  });

  it('reads everything when the limit is more than there is', async () => {
    const { rows: out, input, summary } = await run([{ op: 'limit', count: 10 }], people, rows);
    expect(out).toHaveLength(5);
    expect(input.drained).toBe(true);
    expect(summary.rowsAffected).toBe(0);
  });
});

describe('transformRows: derive', () => {
  const mixed = columnsOf({ first: 'string', last: 'string', a: 'integer', b: 'number', meta: 'json' });
  const data: Row[] = [
    ['Ada', 'Lovelace', 7, 2.5, { x: 1 }],
    [null, 'Turing', 0, -1.005, null],
    [null, null, null, 0, [1]],
  ];

  it.each([
    ['concat', [{ column: 'first' }, { value: ' ' }, { column: 'last' }], 'string', ['Ada Lovelace', ' Turing', ' ']],
    ['concat', [{ column: 'first' }, { column: 'last' }], 'string', ['AdaLovelace', 'Turing', null]],
    ['concat', [{ column: 'a' }, { value: '/' }, { column: 'meta' }], 'string', ['7/{"x":1}', '0/', '/[1]']],
    ['upper', [{ column: 'last' }], 'string', ['LOVELACE', 'TURING', null]],
    ['lower', [{ column: 'first' }], 'string', ['ada', null, null]],
    ['trim', [{ value: '  x ' }], 'string', ['x', 'x', 'x']],
    ['length', [{ column: 'last' }], 'integer', [8, 6, null]],
    ['substring', [{ column: 'last' }, { value: 2 }, { value: 3 }], 'string', ['ove', 'uri', null]],
    ['substring', [{ column: 'last' }, { value: 5 }], 'string', ['lace', 'ng', null]],
    ['substring', [{ value: 'a😀b' }, { value: 2 }, { value: 1 }], 'string', ['😀', '😀', '😀']],
    ['add', [{ column: 'a' }, { value: 1 }], 'integer', [8, 1, null]],
    ['subtract', [{ column: 'b' }, { column: 'a' }], 'number', [-4.5, -1.005, null]],
    ['multiply', [{ column: 'a' }, { value: 3 }], 'integer', [21, 0, null]],
    ['divide', [{ column: 'b' }, { column: 'a' }], 'number', [2.5 / 7, null, null]],
    ['round', [{ column: 'b' }], 'integer', [3, -1, 0]],
    ['round', [{ column: 'b' }, { value: 2 }], 'number', [2.5, -1.01, 0]],
    ['round', [{ value: 1234.5 }, { value: -2 }], 'number', [1200, 1200, 1200]],
    ['abs', [{ column: 'b' }], 'number', [2.5, 1.005, 0]],
    ['coalesce', [{ column: 'first' }, { column: 'last' }, { value: 'nobody' }], 'string', ['Ada', 'Turing', 'nobody']],
    ['to_string', [{ column: 'b' }], 'string', ['2.5', '-1.005', '0']],
    ['to_number', [{ column: 'first' }], 'number', [null, null, null]],
    ['to_number', [{ value: ' 12.5 ' }], 'number', [12.5, 12.5, 12.5]],
  ] as const)('%s(%j) makes a %s column', async (fn, args, type, values) => {
    const { columns, rows: out, summary } = await run([{ op: 'derive', column: 'out', function: fn, args } as unknown as Step], mixed, data);
    expect(columns.at(-1)).toEqual({ name: 'out', type });
    expect(out.map((row) => row.at(-1))).toEqual(values);
    expect(summary.rowsAffected).toBe(3);
  });

  it('replaces a column of the same name in place, counting the rows whose value changed', async () => {
    const {
      columns,
      rows: out,
      summary,
    } = await run([{ op: 'derive', column: 'a', function: 'abs', args: [{ column: 'a' }] }], mixed, [
      ['x', 'y', -3, 0, null],
      ['x', 'y', 3, 0, null],
    ]);
    expect(columns).toEqual(mixed);
    expect(out.map((row) => row[2])).toEqual([3, 3]);
    expect(summary).toMatchObject({ rowsAffected: 1 });
  });
});

describe('transformRows: running', () => {
  it('yields chunks of CHUNK_ROWS rows whatever the input chunks, and reports the rows read', async () => {
    const many: Row[] = Array.from({ length: CHUNK_ROWS * 2 + 3 }, (_, i) => [i, 'n', null, i % 50, null, null]);
    const reported: number[] = [];
    const transform = transformRows(
      { steps: [{ op: 'filter', action: 'keep', where: { column: 'age', op: 'ne', value: 0 } }] },
      people,
      inputOf(many, 333).chunks,
      {
        onRows: (read) => reported.push(read),
      },
    );
    const sizes: number[] = [];
    for await (const chunk of transform.chunks) sizes.push(chunk.length);
    const kept = many.filter((row) => row[3] !== 0).length;
    expect(sizes).toEqual([CHUNK_ROWS, kept - CHUNK_ROWS]);
    expect(reported.at(-1)).toBe(many.length);
    expect(reported).toEqual([...reported].sort((a, b) => a - b));
  });

  it('throws a ProgramError with the problems before reading anything', () => {
    const input = inputOf(rows);
    expect(() => transformRows({ steps: [{ op: 'drop_columns', columns: ['nope'] }] }, people, input.chunks)).toThrow(ProgramError);
    try {
      transformRows({ steps: [{ op: 'drop_columns', columns: ['nope'] }] }, people, input.chunks);
    } catch (error) {
      expect((error as ProgramError).problems).toEqual([
        'step 1 (drop_columns): there is no column "nope"; the columns are id, name, email, age, score, active',
      ]);
    }
    expect(input.chunksRead).toBe(0);
  });

  it('stops with the signal between chunks', async () => {
    const controller = new AbortController();
    const many: Row[] = Array.from({ length: CHUNK_ROWS * 3 }, (_, i) => [i, ' n ', null, null, null, null]);
    const input = inputOf(many, 100);
    const transform = transformRows({ steps: [{ op: 'trim', columns: ['name'] }] }, people, input.chunks, { signal: controller.signal });
    const first = await transform.chunks.next();
    expect(first.done).toBe(false);
    controller.abort(new Error('the task was cancelled'));
    await expect(transform.chunks.next()).rejects.toThrow('the task was cancelled');
    expect(input.chunksRead).toBeLessThan(30);
  });

  it('has no summary before its chunks are read', () => {
    expect(() => transformRows({ steps: [{ op: 'limit', count: 1 }] }, people, inputOf(rows).chunks).summary()).toThrow(/read to the end/);
  });
});
