import { X_RATE_LIMITS, type XEndpoint, type XTier } from '@conveyor/contracts';
import { deleteKeysWithPrefix, uniquePrefix } from '@conveyor/testkit';
import { Registry } from 'prom-client';
import { XApiError } from '../src';
import { ManualClock, closeAll, limiterOn, reopensAt, resetSecOf, tryAcquire } from './limiter-helpers';

const prefix = uniquePrefix('xrl');
afterAll(async () => {
  closeAll();
  await deleteKeysWithPrefix(prefix);
});

const DAY = 24 * 60 * 60_000;
let n = 0;
/** An account of its own per case, so cases share no window. */
const account = (tier: XTier) => ({ accountId: `acct-${++n}`, tier });
const ok = (status = 201) => status;

describe('RedisXRateLimiter: the budget', () => {
  it("starts an unknown window from the tier's published limit, letting one call through until X answers", async () => {
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now });
    const acct = account('free');
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    // Every other caller waits for the first answer (1 s at a time): X's window may have opened before ours.
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe(clock.ms + 1000);
    // X says more is left than the table allows: the table's 17 still bound it.
    const reset = resetSecOf(clock.ms, DAY);
    await limiter.observe(acct, 'POST /2/tweets', { limit: 17, remaining: 500, resetEpochSec: reset }, ok());
    const results = [];
    for (let i = 0; i < 17; i++) results.push(await tryAcquire(limiter, acct, 'POST /2/tweets'));
    expect(results.filter((r) => r === 'ok')).toHaveLength(16);
    expect(results.at(-1)).toBe(reopensAt(reset));
  });

  it.each<[XTier, XEndpoint]>([
    ['free', 'GET /2/users/me'],
    ['basic', 'POST /2/tweets'],
    ['basic', 'GET /2/users/:id/tweets'],
    ['pro', 'POST /2/tweets'],
    ['enterprise', 'DELETE /2/tweets/:id'],
  ])('allows %s tier %s its published limit in a window', async (tier, endpoint) => {
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now });
    const acct = account(tier);
    const { limit, windowMs } = X_RATE_LIMITS[tier][endpoint];
    expect(await tryAcquire(limiter, acct, endpoint)).toBe('ok');
    await limiter.observe(acct, endpoint, { limit: 10_000, remaining: 10_000, resetEpochSec: resetSecOf(clock.ms, windowMs) }, 200);
    let allowed = 1;
    while ((await tryAcquire(limiter, acct, endpoint)) === 'ok') allowed++;
    expect(allowed).toBe(limit);
  });

  it('keeps each endpoint and each account apart', async () => {
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now, limits: { free: { 'POST /2/tweets': { limit: 1 } } } });
    const [a, b] = [account('free'), account('free')];
    expect(await tryAcquire(limiter, a, 'POST /2/tweets')).toBe('ok');
    expect(await tryAcquire(limiter, a, 'POST /2/tweets')).not.toBe('ok');
    expect(await tryAcquire(limiter, a, 'GET /2/users/me')).toBe('ok');
    expect(await tryAcquire(limiter, b, 'POST /2/tweets')).toBe('ok');
  });

  it("takes overrides of the table's limit and window", async () => {
    const clock = new ManualClock();
    // A call unanswered for 5 s is no longer in flight (else it would count against the next window).
    const limiter = limiterOn(prefix, { now: clock.now, inFlightTimeoutMs: 5_000, limits: { pro: { 'POST /2/tweets': { limit: 1, windowMs: 10_000 } } } });
    const acct = account('pro');
    const opened = clock.ms;
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    // No answer came: the window we reckon is the override's, plus X's rounding second and the margin.
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe(opened + 10_000 + 1000 + 1000);
    clock.advance(12_000 - 1);
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).not.toBe('ok');
    clock.advance(1);
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
  });

  it('refuses an account id that would move the Redis Cluster hash tag, before any call', async () => {
    const limiter = limiterOn(prefix, { now: () => 0 });
    await expect(limiter.acquire({ accountId: 'a}b', tier: 'free' }, 'POST /2/tweets')).rejects.toThrow(/no braces/);
  });
});

describe("RedisXRateLimiter: X's answers are the truth", () => {
  /** A limiter whose window for the account is known from a first answer saying `remaining`. */
  async function known(tier: XTier, endpoint: XEndpoint, remaining: number) {
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now });
    const acct = account(tier);
    const reset = resetSecOf(clock.ms, X_RATE_LIMITS[tier][endpoint].windowMs);
    expect(await tryAcquire(limiter, acct, endpoint)).toBe('ok');
    await limiter.observe(acct, endpoint, { limit: X_RATE_LIMITS[tier][endpoint].limit, remaining, resetEpochSec: reset }, 201);
    const drain = async () => {
      let allowed = 0;
      while ((await tryAcquire(limiter, acct, endpoint)) === 'ok') allowed++;
      return allowed;
    };
    return { clock, limiter, acct, reset, drain };
  }

  it('lowers the count to what X says is left (others used the window before us)', async () => {
    const { drain } = await known('pro', 'POST /2/tweets', 5);
    expect(await drain()).toBe(5);
  });

  it('takes off what is still in flight from what an answer says, since X may not have counted it yet', async () => {
    const { limiter, acct, reset, drain } = await known('pro', 'POST /2/tweets', 99);
    for (let i = 0; i < 3; i++) expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    // One of the three is answered: X counted it (and a call of someone else's); two are still travelling.
    await limiter.observe(acct, 'POST /2/tweets', { limit: 100, remaining: 10, resetEpochSec: reset }, 201);
    expect(await drain()).toBe(8);
  });

  it("keeps X's lowest count when an answer that arrives late says more is left, and counts the late call no longer in flight", async () => {
    const { limiter, acct, reset, drain } = await known('pro', 'POST /2/tweets', 99);
    for (let i = 0; i < 2; i++) expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    // X counted both calls (7 left, then 6), but the second answer arrives first: the first call
    // is still in flight then, so 6 - 1 may be made.
    await limiter.observe(acct, 'POST /2/tweets', { limit: 100, remaining: 6, resetEpochSec: reset }, 201);
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    // The first call's answer: X's 7 is older than its 6, and that call is no longer in flight.
    // One call (the one just taken) is: 6 - 1 are left, none lost to the overlap.
    await limiter.observe(acct, 'POST /2/tweets', { limit: 100, remaining: 7, resetEpochSec: reset }, 201);
    expect(await drain()).toBe(5);
  });

  it("tells a caller who finds the count at zero only because of calls in flight to come back soon, not at the window's end", async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now, registry });
    const acct = account('free');
    const reset = resetSecOf(clock.ms, DAY);
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    await limiter.observe(acct, 'POST /2/tweets', { limit: 17, remaining: 3, resetEpochSec: reset }, 201);
    for (let i = 0; i < 2; i++) expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    clock.advance(100);
    // X counted both (2, then 1 left); the second's answer comes first, the first still travels.
    await limiter.observe(acct, 'POST /2/tweets', { limit: 17, remaining: 1, resetEpochSec: reset }, 201);
    const refused = await limiter.acquire(acct, 'POST /2/tweets').catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'rate_limited', retryAtMs: clock.ms + 1000 });
    expect((refused as Error).message).toMatch(/spent unless calls still in flight were counted already/);
    // Its answer shows X had counted it: the last call of the day is free.
    await limiter.observe(acct, 'POST /2/tweets', { limit: 17, remaining: 2, resetEpochSec: reset }, 201);
    clock.advance(100);
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    // That call was taken after X's latest count: it cannot be in it, so the day is spent.
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe(reopensAt(reset));
    const waits = (await registry.getSingleMetric('conveyor_x_rate_waits_total')!.get()).values;
    expect(waits.map((v) => [v.labels.reason, v.value])).toEqual([
      ['in_flight', 1],
      ['spent', 1],
    ]);
  });

  it('uses every call of a window whose answers overlap, and never one too many: a call X had counted is taken off twice only until its own answer', async () => {
    const { limiter, acct, reset, drain } = await known('free', 'POST /2/tweets', 16);
    for (let i = 0; i < 4; i++) expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    // X counted the four in order (15, 14, 13, 12 left); three answers come back, last first.
    for (const remaining of [12, 13, 14]) await limiter.observe(acct, 'POST /2/tweets', { limit: 17, remaining, resetEpochSec: reset }, 201);
    // The fourth (X's 15) is still in flight, and X may not have counted it: 12 - 1.
    expect(await drain()).toBe(11);
    // Its answer shows X had: the day's last call is free again. 1 + 4 + 11 + 1 = 17, X's limit.
    await limiter.observe(acct, 'POST /2/tweets', { limit: 17, remaining: 15, resetEpochSec: reset }, 201);
    expect(await drain()).toBe(1);
  });

  it("blocks after a 429 until X's reset second has passed and the margin, then starts a new window from the table", async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now, registry });
    const acct = account('basic');
    const reset = resetSecOf(clock.ms, 15 * 60_000);
    expect(await tryAcquire(limiter, acct, 'GET /2/tweets/:id')).toBe('ok');
    // A 429 whatever the remaining header says (X may be refusing on another of its limits).
    await limiter.observe(acct, 'GET /2/tweets/:id', { limit: 15, remaining: 9, resetEpochSec: reset }, 429);
    expect(await tryAcquire(limiter, acct, 'GET /2/tweets/:id')).toBe(reopensAt(reset));
    clock.ms = reopensAt(reset) - 1;
    expect(await tryAcquire(limiter, acct, 'GET /2/tweets/:id')).toBe(reopensAt(reset));
    clock.ms = reopensAt(reset);
    expect(await tryAcquire(limiter, acct, 'GET /2/tweets/:id')).toBe('ok');
    const nextReset = resetSecOf(clock.ms, 15 * 60_000);
    await limiter.observe(acct, 'GET /2/tweets/:id', { limit: 15, remaining: 14, resetEpochSec: nextReset }, 200);
    let allowed = 1;
    while ((await tryAcquire(limiter, acct, 'GET /2/tweets/:id')) === 'ok') allowed++;
    expect(allowed).toBe(15);

    const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;
    expect(await value('conveyor_x_rate_limited_total')).toEqual([{ labels: { endpoint: 'GET /2/tweets/:id', tier: 'basic' }, value: 1 }]);
    expect(await value('conveyor_x_rate_remaining')).toEqual([{ labels: { account: acct.accountId, endpoint: 'GET /2/tweets/:id' }, value: 0 }]);
    expect(await value('conveyor_x_rate_waits_total')).toEqual([{ labels: { endpoint: 'GET /2/tweets/:id', tier: 'basic', reason: 'spent' }, value: 3 }]);
  });

  it("adopts X's earlier end when X's window opened before ours", async () => {
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now });
    const acct = account('pro');
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    // Someone opened X's window ten minutes ago and used most of it.
    const reset = resetSecOf(clock.ms - 10 * 60_000, 15 * 60_000);
    await limiter.observe(acct, 'POST /2/tweets', { limit: 100, remaining: 1, resetEpochSec: reset }, 201);
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe(reopensAt(reset));
  });

  it('follows X into its next window when one of our calls opened it, and ignores an answer about a window already over', async () => {
    const { clock, limiter, acct, reset } = await known('pro', 'POST /2/tweets', 99);
    clock.ms = reset * 1000 + 500; // X's window is over; ours (the margin) is not.
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    const next = resetSecOf(clock.ms, 15 * 60_000);
    await limiter.observe(acct, 'POST /2/tweets', { limit: 100, remaining: 3, resetEpochSec: next }, 201);
    // A late answer from the old window: over, so it says nothing of the new one.
    clock.ms = reopensAt(reset);
    await limiter.observe(acct, 'POST /2/tweets', { limit: 100, remaining: 0, resetEpochSec: reset - 1 }, 429);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await tryAcquire(limiter, acct, 'POST /2/tweets'));
    expect(results).toEqual(['ok', 'ok', 'ok', reopensAt(next)]);
  });

  it('counts the calls of the last window still in flight against the next one', async () => {
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now, limits: { pro: { 'POST /2/tweets': { limit: 3, windowMs: 60_000 } } } });
    const acct = account('pro');
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    const reset = resetSecOf(clock.ms, 60_000);
    await limiter.observe(acct, 'POST /2/tweets', { limit: 3, remaining: 2, resetEpochSec: reset }, 201);
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    // Both are still unanswered when the window ends: they may land in X's next window.
    clock.ms = reopensAt(reset);
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).toBe('ok');
    await limiter.observe(acct, 'POST /2/tweets', { limit: 3, remaining: 2, resetEpochSec: resetSecOf(clock.ms, 60_000) }, 201);
    expect(await tryAcquire(limiter, acct, 'POST /2/tweets')).not.toBe('ok');
  });

  it('lets a call probe again when the first one never got an answer', async () => {
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now });
    const acct = account('basic');
    expect(await tryAcquire(limiter, acct, 'GET /2/tweets')).toBe('ok');
    clock.advance(29_999);
    expect(await tryAcquire(limiter, acct, 'GET /2/tweets')).toBe(clock.ms + 1);
    clock.advance(1);
    expect(await tryAcquire(limiter, acct, 'GET /2/tweets')).toBe('ok');
  });

  it("ignores headers that are not counts (the call's reservation lapses on its own)", async () => {
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now });
    const acct = account('basic');
    expect(await tryAcquire(limiter, acct, 'GET /2/tweets')).toBe('ok');
    await limiter.observe(acct, 'GET /2/tweets', { limit: Number.NaN, remaining: -1, resetEpochSec: 0 }, 200);
    expect(await tryAcquire(limiter, acct, 'GET /2/tweets')).toBe(clock.ms + 1000);
  });
});

describe("RedisXRateLimiter: Redis's clock", () => {
  it('reckons windows in Redis TIME when no clock is given, and says when to come back in this process’s time', async () => {
    const limiter = limiterOn(prefix);
    const acct = account('free');
    const before = Date.now();
    expect(await tryAcquire(limiter, acct, 'GET /2/users/me')).toBe('ok');
    const probeWait = await tryAcquire(limiter, acct, 'GET /2/users/me');
    expect(probeWait).toEqual(expect.any(Number));
    expect(probeWait as number).toBeGreaterThan(before);
    expect(probeWait as number).toBeLessThanOrEqual(Date.now() + 1000);
    const reset = Math.ceil(Date.now() / 1000) + 3600;
    await limiter.observe(acct, 'GET /2/users/me', { limit: 25, remaining: 0, resetEpochSec: reset }, 200);
    const error = await limiter.acquire(acct, 'GET /2/users/me').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XApiError);
    expect(error).toMatchObject({ kind: 'rate_limited', endpoint: 'GET /2/users/me', status: 0 });
    // Within a few seconds of X's reset second plus the margin (Redis and this process share a host here).
    expect(Math.abs((error as XApiError).retryAtMs! - reopensAt(reset))).toBeLessThan(5_000);
    expect((error as XApiError).message).toMatch(/the rate-limit window is spent; no call was made/);
  });
});
