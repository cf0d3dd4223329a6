import { createTestRedis } from '@conveyor/testkit';
import { RateLimitError } from '../src';
import { type ClientStack, recordingFetch, startStack } from './support/stack';

// The trial plan allows 3 API requests per minute here (a window of 60 s per tenant); the
// client retries a 429 after its Retry-After when that is within maxRetryDelayMs.

let s: ClientStack;
beforeAll(async () => {
  s = await startStack({ worker: false, env: { API_RATE_LIMITS: JSON.stringify({ trial: 3 }) } });
}, 300_000);
afterAll(() => s?.stop(), 30_000);

it('throws RateLimitError with retryAfterMs when the wait is longer than allowed, and retries to success when it is not', async () => {
  const { tenant_id: tenantId, api_key: key } = await s.createTenant('limited', 'trial');
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

  // Waits out the window and then succeeds. The window is made to end in 8 s rather than up to a
  // minute (its counter's expiry in Redis, where the API keeps it): still refused when the
  // request below arrives (8 s is a bound for a busy machine), the client then waits the
  // Retry-After it is given, as it would for any window.
  const redis = createTestRedis();
  try {
    // The tenant's counter of the trial plan (rate-limiter-flexible's `<keyPrefix>:<key>`); 1: it exists.
    expect(await redis.pexpire(`${s.stack.prefix}:ratelimit:trial:${tenantId}`, 8_000)).toBe(1);
  } finally {
    redis.disconnect();
  }
  expect(await patient.usage.get()).toMatchObject({ plan: 'trial' });
  expect(seen.map((r) => r.status)).toEqual([200, 200, 200, 429, 200]);
}, 180_000);
