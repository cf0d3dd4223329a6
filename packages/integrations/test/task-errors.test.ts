import { DeferTaskError, PermanentError } from '@conveyor/contracts';
import { XApiError, deferDelayMs, toTaskError, type XErrorKind } from '../src';

const NOW = Date.parse('2026-12-05T12:00:00Z');
const failure = (kind: XErrorKind, status: number, retryAtMs?: number) => new XApiError(`X said no (${kind})`, kind, 'POST /2/tweets', status, retryAtMs);

describe('toTaskError', () => {
  it('puts a rate-limited task off until the reset, spending no attempt', () => {
    const error = failure('rate_limited', 429, NOW + 90_500);
    const mapped = toTaskError(error, NOW);
    expect(mapped).toBeInstanceOf(DeferTaskError);
    expect(mapped).toMatchObject({ name: 'DeferTaskError', delayMs: 90_500, message: error.message, cause: error });
  });

  it('defers by nothing when the reset has passed, and by a minute when X gave none', () => {
    expect(toTaskError(failure('rate_limited', 429, NOW - 5), NOW)).toMatchObject({ delayMs: 0 });
    expect(toTaskError(failure('rate_limited', 429), NOW)).toMatchObject({ delayMs: 60_000 });
    expect(deferDelayMs(NOW + 0.2, NOW)).toBe(1);
  });

  it('leaves transient failures and unknown outcomes to be retried with backoff', () => {
    for (const kind of ['transient', 'unknown_outcome'] as const) {
      const error = failure(kind, kind === 'transient' ? 503 : 0);
      const mapped = toTaskError(error, NOW);
      expect(mapped.name).toBe('Error');
      expect(mapped).not.toBeInstanceOf(PermanentError);
      expect(mapped).not.toBeInstanceOf(DeferTaskError);
      expect(mapped).toMatchObject({ message: error.message, cause: error });
    }
  });

  it('fails at once, with a stable code, what no attempt can fix', () => {
    const codes = (['permanent', 'auth', 'duplicate'] as const).map((kind) => {
      const mapped = toTaskError(failure(kind, kind === 'auth' ? 401 : kind === 'duplicate' ? 403 : 400), NOW);
      expect(mapped).toBeInstanceOf(PermanentError);
      return (mapped as PermanentError).code;
    });
    expect(codes).toEqual(['X_INVALID_REQUEST', 'X_AUTH', 'X_DUPLICATE']);
  });
});
