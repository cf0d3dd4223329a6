import { sourceMessage } from '../src/ingestion/fetch-source-page';
import { backoffMs, isRetryableStatus, retryAfterMs } from '../src/ingestion/retry-policy';
import { MAX_WINDOWS_PER_RUN, incrementalSpan, splitWindow } from '../src/ingestion/windows';

const at = (iso: string) => new Date(iso);

describe('splitWindow', () => {
  it('cuts a span into consecutive windows with no gap and no overlap, the last one short', () => {
    const windows = splitWindow({ from: at('2026-01-01T00:00:00Z'), to: at('2026-01-01T00:40:00Z') }, 15 * 60_000);
    expect(windows.map((w) => [w.from.toISOString(), w.to.toISOString()])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2026-01-01T00:15:00.000Z'],
      ['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z'],
      ['2026-01-01T00:30:00.000Z', '2026-01-01T00:40:00.000Z'],
    ]);
  });

  it('gives nothing for an empty span, and stops at MAX_WINDOWS_PER_RUN for a huge one', () => {
    expect(splitWindow({ from: at('2026-01-01T00:00:00Z'), to: at('2026-01-01T00:00:00Z') }, 1000)).toEqual([]);
    const many = splitWindow({ from: at('2000-01-01T00:00:00Z'), to: at('2026-01-01T00:00:00Z') }, 60_000);
    expect(many).toHaveLength(MAX_WINDOWS_PER_RUN);
    expect(many.at(-1)!.to.getTime() - many[0]!.from.getTime()).toBe(MAX_WINDOWS_PER_RUN * 60_000);
  });

  it('refuses a window size that is not above 0', () => {
    expect(() => splitWindow({ from: at('2026-01-01T00:00:00Z'), to: at('2026-01-02T00:00:00Z') }, 0)).toThrow(/above 0/);
  });
});

describe('incrementalSpan', () => {
  const now = at('2026-03-01T12:00:00Z');
  it('runs from the watermark to now, or from the initial lookback when there is none', () => {
    expect(incrementalSpan(at('2026-03-01T11:00:00Z'), now, 86_400_000)).toEqual({ from: at('2026-03-01T11:00:00Z'), to: now });
    expect(incrementalSpan(null, now, 86_400_000)).toEqual({ from: at('2026-02-28T12:00:00Z'), to: now });
  });
  it('has nothing to do when the watermark is now or later', () => {
    expect(incrementalSpan(now, now, 1000)).toBeNull();
    expect(incrementalSpan(at('2026-03-02T00:00:00Z'), now, 1000)).toBeNull();
  });
});

describe('retries', () => {
  it('retries 429, 408 and 5xx, and nothing else', () => {
    expect([429, 408, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('backs off exponentially with jitter between half and all of the step, capped, never under Retry-After', () => {
    const policy = { maxRetries: 3, baseMs: 1000, maxBackoffMs: 5000 };
    expect(backoffMs(policy, 1, undefined, () => 0)).toBe(500);
    expect(backoffMs(policy, 1, undefined, () => 0.999999)).toBe(1000);
    expect(backoffMs(policy, 3, undefined, () => 0)).toBe(2000);
    expect(backoffMs(policy, 10, undefined, () => 1)).toBe(5000);
    expect(backoffMs(policy, 1, 9000, () => 0)).toBe(9000);
  });
});

describe('sourceMessage', () => {
  it("finds the source's own words in its error body, without the run's secrets", () => {
    expect(sourceMessage({ error_code: 400, error_message: 'Bad Request. api_key abc123 is not registered.' }, ['abc123'])).toBe(
      ': Bad Request. api_key *** is not registered.',
    );
    expect(sourceMessage([{ message: [{ id: '120', key: 'Invalid value', value: 'The provided parameter value is not valid' }] }], [])).toBe(
      ': The provided parameter value is not valid',
    );
    expect(sourceMessage({ statusCode: 401, message: 'Access denied due to missing subscription key.' }, [])).toBe(
      ': Access denied due to missing subscription key.',
    );
    expect(sourceMessage('Please limit requests to one every 5 seconds', [])).toBe(': Please limit requests to one every 5 seconds');
    expect(sourceMessage({ nothing: 1 }, [])).toBe('');
    expect(sourceMessage('x'.repeat(1000), []).length).toBe(302);
  });
});
