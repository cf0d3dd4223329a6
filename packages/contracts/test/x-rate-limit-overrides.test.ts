import { X_ENDPOINTS, X_RATE_LIMITS, X_TIERS, xLimitOf, xRateLimitOverridesSchema } from '../src';

describe('X rate-limit overrides', () => {
  it('lists every endpoint of the table, the same on every tier', () => {
    expect(X_ENDPOINTS).toContain('POST /2/tweets');
    for (const tier of X_TIERS) expect(Object.keys(X_RATE_LIMITS[tier]).sort()).toEqual([...X_ENDPOINTS].sort());
  });

  it("gives the table's limit, with an override's parts replacing only what they name", () => {
    expect(xLimitOf('free', 'POST /2/tweets')).toEqual({ limit: 17, windowMs: 24 * 60 * 60_000 });
    expect(xLimitOf('pro', 'POST /2/tweets')).toEqual({ limit: 100, windowMs: 15 * 60_000 });
    const overrides = { free: { 'POST /2/tweets': { limit: 5 } }, pro: { 'GET /2/users/me': { windowMs: 2_000 } } };
    expect(xLimitOf('free', 'POST /2/tweets', overrides)).toEqual({ limit: 5, windowMs: 24 * 60 * 60_000 });
    expect(xLimitOf('pro', 'GET /2/users/me', overrides)).toEqual({ limit: 75, windowMs: 2_000 });
    expect(xLimitOf('basic', 'POST /2/tweets', overrides)).toEqual(X_RATE_LIMITS.basic['POST /2/tweets']);
  });

  it('refuses an unknown tier or endpoint', () => {
    expect(() => xLimitOf('gold' as never, 'POST /2/tweets')).toThrow(/no X rate limit for tier gold/);
  });

  it('accepts partial overrides and names what is wrong in a bad one', () => {
    expect(xRateLimitOverridesSchema.parse({ basic: { 'POST /2/tweets': { limit: 50 } } })).toEqual({ basic: { 'POST /2/tweets': { limit: 50 } } });
    const issues = (value: unknown) => xRateLimitOverridesSchema.safeParse(value).error?.issues.map((i) => `${i.path.join(' > ')}: ${i.message}`);
    expect(issues({ gold: {} })).toEqual([expect.stringMatching(/^gold: unknown tier; known: free, basic, pro, enterprise$/)]);
    expect(issues({ free: { 'POST /2/tweet': { limit: 1 } } })).toEqual([
      expect.stringMatching(/^free > POST \/2\/tweet: unknown endpoint; known: POST \/2\/tweets, /),
    ]);
    expect(issues({ free: { 'POST /2/tweets': { limit: 0 } } })?.[0]).toMatch(/^free > POST \/2\/tweets > limit: /);
    expect(issues({ free: { 'POST /2/tweets': { windowMs: 1.5 } } })?.[0]).toMatch(/windowMs/);
    expect(issues({ free: { 'POST /2/tweets': { limt: 3 } } })?.[0]).toMatch(/limt/);
  });
});
