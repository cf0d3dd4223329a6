import { castValue, coerceRow, UNREADABLE, type DatasetColumn } from '../src';

const columns: DatasetColumn[] = [
  { name: 'n', type: 'integer' },
  { name: 'x', type: 'number' },
  { name: 'b', type: 'boolean' },
  { name: 's', type: 'string' },
  { name: 'j', type: 'json' },
];

describe('coerceRow', () => {
  it('types raw upload text and pads a short row with null', () => {
    expect(coerceRow(['12', '-1.5e2', 'FALSE'], columns)).toEqual([12, -150, false, null, null]);
  });

  it('leaves already typed rows equal', () => {
    const row = [12, 1.5, true, 'text', { a: [1] }];
    expect(coerceRow(row, columns)).toEqual(row);
  });

  it('writes a number or boolean in a string column as its text, and keeps json cells as they are', () => {
    expect(coerceRow([null, null, null, 42, 'plain text'], columns)).toEqual([null, null, null, '42', 'plain text']);
    expect(coerceRow([null, null, null, true, 7], columns)).toEqual([null, null, null, 'true', 7]);
  });
});

describe('castValue', () => {
  it.each([
    [' 42 ', 'integer', 42],
    ['3.6', 'integer', 4],
    ['007', 'integer', 7],
    [true, 'integer', 1],
    ['1e400', 'number', UNREADABLE],
    ['.5', 'number', 0.5],
    ['twelve', 'number', UNREADABLE],
    [{ a: 1 }, 'number', UNREADABLE],
    ['Yes', 'boolean', true],
    ['0', 'boolean', false],
    [2, 'boolean', UNREADABLE],
    [1.5, 'string', '1.5'],
    [[1, 'a'], 'string', '[1,"a"]'],
    ['{"a":1}', 'json', { a: 1 }],
    ['not json', 'json', UNREADABLE],
    [null, 'integer', null],
  ] as const)('reads %j as %s: %p', (value, to, expected) => {
    expect(castValue(value as never, to)).toEqual(expected);
  });
});
