import { MAX_COLUMNS } from '@conveyor/contracts';
import { coerceRow } from '../src';
import { formatError, readAll } from './helpers';

describe('readUpload (JSON Lines)', () => {
  it('reads one object a line, columns in first-seen key order, values as they are', async () => {
    const text = ['{"id":1,"name":"Ann","tags":["a"]}', '', '{"name":"Bob","id":2,"score":2.5}', '  ', '{"id":3,"meta":{"x":1},"score":4}'].join('\r\n');
    const { rows, summary } = await readAll(text, 'jsonl');
    expect(rows).toEqual([
      [1, 'Ann', ['a']],
      [2, 'Bob', null, 2.5],
      [3, null, null, 4, { x: 1 }],
    ]);
    expect(summary.columns).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'tags', type: 'json' },
      { name: 'score', type: 'number' },
      { name: 'meta', type: 'json' },
    ]);
    expect(summary.rowCount).toBe(3);
    expect(rows.map((row) => coerceRow(row, summary.columns))).toEqual([
      [1, 'Ann', ['a'], null, null],
      [2, 'Bob', null, 2.5, null],
      [3, null, null, 4, { x: 1 }],
    ]);
  });

  it.each([
    ['integers', [1, -2, 0], 'integer'],
    ['integers and decimals', [1, 2.5], 'number'],
    ['an unsafe integer', [1e20], 'number'],
    ['booleans', [true, false], 'boolean'],
    ['digits in strings, which stay strings', ['1', '2'], 'string'],
    ['numbers and strings', [1, 'two'], 'string'],
    ['numbers and booleans', [1, true], 'string'],
    ['strings and objects', ['a', { b: 1 }], 'json'],
    ['arrays', [[1], []], 'json'],
    ['nulls only', [null, null], 'string'],
  ])('infers the type of a column of %s', async (_label, values, type) => {
    const { rows, summary } = await readAll(values.map((x) => JSON.stringify({ x })).join('\n'), 'jsonl');
    expect(summary.columns).toEqual([{ name: 'x', type }]);
    expect(rows).toEqual(values.map((x) => [x]));
  });

  it('makes a mixed column a string column whose cells are their text once coerced', async () => {
    const { rows, summary } = await readAll('{"x":1}\n{"x":"two"}\n{"x":true}\n{"x":null}', 'jsonl');
    expect(rows.map((row) => coerceRow(row, summary.columns))).toEqual([['1'], ['two'], ['true'], [null]]);
  });

  it('keeps __proto__ and constructor keys as plain column names, polluting nothing', async () => {
    const { rows, summary } = await readAll('{"__proto__":{"polluted":true},"constructor":"x","toString":1}\n', 'jsonl');
    expect(summary.columns.map((column) => column.name)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(rows).toEqual([[{ polluted: true }, 'x', 1]]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('refuses', () => {
    it('an empty file, or objects without keys', async () => {
      await expect(formatError('\n \n', 'jsonl')).resolves.toMatchObject({ status: 400, message: expect.stringMatching(/^the file is empty/) });
      await expect(formatError('{}\n{}\n', 'jsonl')).resolves.toMatchObject({ message: expect.stringMatching(/a dataset needs at least one column/) });
    });

    it('a body over the limit, as a 413', async () => {
      const error = await formatError('{"a":1}\n'.repeat(1000), 'jsonl', 1024 * 1024 * 0.005);
      expect(error.status).toBe(413);
      expect(error.message).toBe("the upload is larger than your plan's limit of 0.005 MB");
    });

    it.each([
      ['a line that is not JSON', '{"a":1}\n\n{"a":2,}\n', /^line 3 is not valid JSON \(.+\); each line of a JSON Lines file is one object/],
      ['a line that is an array', '{"a":1}\n[1,2]\n', /^line 2 is an array, not a JSON object/],
      ['a line that is a number', '{"a":1}\n42\n', /^line 2 is a number, not a JSON object/],
      ['a line that is null', 'null\n', /^line 1 is null, not a JSON object/],
      ['an empty key', '{"a":1}\n{"":2}\n', /^line 2: column 1 has no name/],
      ['a key with a control character', '{"a\\nb":1}\n', /^line 1: the column name "a\\nb" is not allowed/],
      [
        'too many keys',
        JSON.stringify(Object.fromEntries(Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => [`k${i}`, i]))),
        /^line 1 brings the dataset to more than 200 columns/,
      ],
      ['a string over 100,000 characters', `{"a":1}\n{"a":"${'x'.repeat(100_001)}"}\n`, /^line 2: the value of "a" has 100001 characters/],
      ['an object over 100,000 characters of JSON', `{"a":{"b":"${'x'.repeat(100_000)}"}}\n`, /^line 1: the value of "a" has 100008 characters/],
      ['a NUL character', '{"a":"x\\u0000y"}\n', /^line 1: the value of "a" cannot be stored: it contains a NUL character/],
      ['a NUL character nested in an object key', '{"a":{"k\\u0000":1}}\n', /^line 1: the value of "a" cannot be stored: it contains a NUL character/],
      ['an unpaired surrogate', '{"a":["\\ud800"]}\n', /^line 1: the value of "a" cannot be stored: it contains a broken character/],
    ])('%s', async (_label, text, message) => {
      const error = await formatError(text, 'jsonl');
      expect(error.status).toBe(400);
      expect(error.message).toMatch(message);
      expect(error.line).toBe(Number(/^line (\d+)/.exec(error.message)?.[1]));
    });
  });
});
