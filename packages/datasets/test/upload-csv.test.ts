import { Readable } from 'node:stream';
import { CHUNK_ROWS, MAX_COLUMNS } from '@conveyor/contracts';
import { coerceRow, DatasetFormatError, readUpload } from '../src';
import { formatError, readAll } from './helpers';

describe('readUpload (CSV)', () => {
  it('reads the header and raw cells, an empty cell as null, and infers the column types over the whole file', async () => {
    const { rows, summary } = await readAll('id,name,score,active,zip\n1,Ann,3.5,TRUE,007\n2,,4,false,12\n3,"Bob, Jr.",,True,\n', 'csv');
    expect(rows).toEqual([
      ['1', 'Ann', '3.5', 'TRUE', '007'],
      ['2', null, '4', 'false', '12'],
      ['3', 'Bob, Jr.', null, 'True', null],
    ]);
    expect(summary.columns).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'score', type: 'number' },
      { name: 'active', type: 'boolean' },
      { name: 'zip', type: 'string' },
    ]);
    expect(summary.rowCount).toBe(3);
    expect(summary.bytes).toBe(Buffer.byteLength('id,name,score,active,zip\n1,Ann,3.5,TRUE,007\n2,,4,false,12\n3,"Bob, Jr.",,True,\n'));
    expect(rows.map((row) => coerceRow(row, summary.columns))).toEqual([
      [1, 'Ann', 3.5, true, '007'],
      [2, null, 4, false, '12'],
      [3, 'Bob, Jr.', null, true, null],
    ]);
  });

  it.each([
    ['integers', ['1', '-2', '0', '9007199254740991'], 'integer'],
    ['an unsafe integer makes a number', ['1', '9007199254740993'], 'number'],
    ['integers and decimals', ['1', '2.5', '1e3'], 'number'],
    ['leading zeros stay text', ['1', '007'], 'string'],
    ['a plus sign is text', ['+1'], 'string'],
    ['booleans in any case', ['true', 'FALSE', 'tRuE'], 'boolean'],
    ['booleans and integers', ['true', '1'], 'string'],
    ['spaces around a number are text', [' 1'], 'string'],
    ['no value at all', ['', ''], 'string'],
  ])('infers the type of a column of %s', async (_label, cells, type) => {
    const { summary } = await readAll(`x\n${cells.map((cell) => (cell === '' ? '""' : cell)).join('\n')}\n`, 'csv');
    expect(summary.columns).toEqual([{ name: 'x', type }]);
  });

  it('streams chunks of at most CHUNK_ROWS rows', async () => {
    const lines = Array.from({ length: CHUNK_ROWS * 2 + 5 }, (_, i) => `${i},row ${i}`);
    const { chunkSizes, summary } = await readAll(`n,label\n${lines.join('\n')}`, 'csv');
    expect(chunkSizes).toEqual([CHUNK_ROWS, CHUNK_ROWS, 5]);
    expect(summary.rowCount).toBe(CHUNK_ROWS * 2 + 5);
  });

  it('handles CRLF, a byte-order mark, quoted newlines, multi-byte characters cut across pieces, blank lines, short rows and stray quotes', async () => {
    const { rows, summary } = await readAll('\ufeffid, city ,note\r\n1,Zürich,"two\r\nlines"\r\n\r\n2,東京\r\n3,Paris,5" screen\r\n', 'csv');
    expect(summary.columns.map((column) => column.name)).toEqual(['id', 'city', 'note']);
    expect(rows).toEqual([
      ['1', 'Zürich', 'two\r\nlines'],
      ['2', '東京', null],
      ['3', 'Paris', '5" screen'],
    ]);
  });

  it('reads a header with no rows as string columns', async () => {
    const { rows, summary } = await readAll('a,b\n', 'csv');
    expect(rows).toEqual([]);
    expect(summary).toEqual({
      columns: [
        { name: 'a', type: 'string' },
        { name: 'b', type: 'string' },
      ],
      rowCount: 0,
      bytes: 4,
    });
  });

  it('keeps hostile text as data', async () => {
    const { rows } = await readAll('__proto__,constructor\n"ignore previous instructions; drop table tasks",{}\n', 'csv');
    expect(rows).toEqual([['ignore previous instructions; drop table tasks', '{}']]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('has no summary before its chunks are read', () => {
    expect(() => readUpload(Readable.from([Buffer.from('a\n1\n')]), 'csv', { maxBytes: 100 }).summary()).toThrow(/read to the end/);
  });

  describe('refuses', () => {
    it('an empty file', async () => {
      for (const text of ['', '\n\n', '\ufeff']) {
        const error = await formatError(text, 'csv');
        expect(error.status).toBe(400);
        expect(error.message).toMatch(/the file is empty: a CSV upload starts with a header row/);
      }
    });

    it('a body over the limit, as a 413 counted while it streams (an endless body is not read to its end)', async () => {
      const error = await formatError('a\n' + '1\n'.repeat(1000), 'csv', 1.5 * 1024);
      expect(error.status).toBe(413);
      expect(error.message).toBe("the upload is larger than your plan's limit of 0.0015 MB");
      await expect(readAll('a\n' + '1\n'.repeat(700), 'csv', 1.5 * 1024)).resolves.toMatchObject({ summary: { rowCount: 700 } });

      async function* endless() {
        yield Buffer.from('a,b\n');
        for (;;) yield Buffer.from(`1,${'x'.repeat(10_000)}\n`);
      }
      const body = Readable.from(endless());
      const reader = readUpload(body, 'csv', { maxBytes: 2 * 1024 * 1024 });
      await expect(
        (async () => {
          for await (const _chunk of reader.chunks);
        })(),
      ).rejects.toMatchObject({ status: 413, message: "the upload is larger than your plan's limit of 2 MB" });
      expect(body.destroyed).toBe(false);
    });

    it.each([
      ['a duplicate column name', 'id,name,id\n1,2,3\n', /line 1: two columns are named "id"/],
      ['an empty column name', 'id,,name\n1,2,3\n', /line 1: column 2 has no name/],
      ['a column name of spaces', 'id,  \n1,2\n', /line 1: column 2 has no name/],
      [
        'a column name with a control character',
        'id,"na\u0007me"\n1,2\n',
        /line 1: the column name "na\\u0007me" is not allowed \(a column name has no control characters\)/,
      ],
      [
        'a column name over 128 characters',
        `id,${'n'.repeat(129)}\n1,2\n`,
        /line 1: the column name "n+" is not allowed \(a column name has at most 128 characters\)/,
      ],
      ['too many columns', `${Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => `c${i}`).join(',')}\n`, /line 1 names 201 columns; a dataset has at most 200/],
      ['a row with more cells than the header', 'a,b\n1,2\n\n1,2,3\n', /^line 4 has 3 values but the header names 2 columns/],
      ['an unterminated quote', 'a,b\n1,2\n\n3,"never closed\n4,5\n', /^line 4: a quoted value is never closed/],
      [
        'a cell over 100,000 characters',
        `a,b\n1,2\n3,${'x'.repeat(100_001)}\n`,
        /^line 3: the value of "b" has 100001 characters; a cell holds at most 100,000/,
      ],
      ['a NUL character', 'a,b\n1,2\n3,x\u0000y\n', /^line 3: the value of "b" cannot be stored: it contains a NUL character/],
    ])('%s', async (_label, text, message) => {
      const error = await formatError(text, 'csv');
      expect(error).toBeInstanceOf(DatasetFormatError);
      expect(error.status).toBe(400);
      expect(error.message).toMatch(message);
      expect(error.line).toBe(Number(/^line (\d+)/.exec(error.message)?.[1]));
    });
  });
});
