import { jsonDepth } from '../src/middleware/json-body';

const depth = (text: string, max = 64) => jsonDepth(Buffer.from(text), max);

describe('jsonDepth', () => {
  it('counts the nesting of arrays and objects', () => {
    expect(depth('1')).toBe(0);
    expect(depth('{}')).toBe(1);
    expect(depth('[[],[[]],{"a":{"b":[]}}]')).toBe(4);
  });

  it('skips brackets inside strings, escaped quotes and backslashes included', () => {
    expect(depth('["[[[["]')).toBe(1);
    expect(depth(String.raw`["a\"[[[[", "\\", [1]]`)).toBe(2);
    expect(depth(String.raw`{"k\\":"[[[", "x\\\"]]]": [[[]]]}`)).toBe(4);
  });

  it('stops at the first level past the limit', () => {
    expect(depth('[[[[[[[[', 3)).toBe(4);
    expect(depth(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBe(65);
  });

  it('treats an unterminated string as the end of the text', () => {
    expect(depth('[["abc')).toBe(2);
  });
});
