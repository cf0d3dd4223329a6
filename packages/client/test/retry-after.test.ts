import { parseRetryAfter } from '../src/retry-after';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-10-21T07:28:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date against now, never below zero', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0);
  });

  it('is undefined when absent or unreadable', () => {
    for (const header of [null, undefined, '', 'soon', '-5', '1.5']) expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});
