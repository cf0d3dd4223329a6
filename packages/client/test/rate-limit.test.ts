import { RateLimitError } from '../src';
import { type ClientStack, recordingFetch, startStack } from './support/stack';

// The trial plan allows 3 API requests per minute here (a window of 60 s per tenant); the
// client retries a 429 after its Retry-After when that is within maxRetryDelayMs.

let s: ClientStack;
beforeAll(async () => {
  s = await startStack({ worker: false, env: { API_RATE_LIMITS: JSON.stringify({ trial: 3 }) } });
}, 300_000);
afterAll(() => s?.stack.stop(), 30_000);

it('throws RateLimitError with retryAfterMs when the wait is longer than allowed, and retries to success when it is not', async () => {
  const key = await s.tenantKey('trial');
  const { fetch, seen } = recordingFetch();
  const patient = s.client(key, { fetch, maxRetryDelayMs: 65_000 });
  for (let i = 0; i < 3; i += 1) await patient.usage.get();

  // Retry-After is at least 1 s: more than this client may wait.
  const hasty = s.client(key, { maxRetryDelayMs: 999 });
  const error = await hasty.taskTypes.list().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RateLimitError);
  expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterMs: expect.any(Number) });
  expect((error as RateLimitError).retryAfterMs).toBeGreaterThanOrEqual(1000);
  expect((error as Error).message).toMatch(
    /allows 3 API requests per minute.*not retried: the server asked to wait \d+ s, longer than maxRetryDelayMs \(999 ms\)/,
  );

  const noRetries = s.client(key, { maxRetries: 0 });
  await expect(noRetries.usage.get()).rejects.toThrow(/gave up after 0 retries \(maxRetries 0\)/);

  // Waits out the window (under a minute) and then succeeds.
  expect(await patient.usage.get()).toMatchObject({ plan: 'trial' });
  expect(seen.map((r) => r.status)).toEqual([200, 200, 200, 429, 200]);
}, 180_000);
