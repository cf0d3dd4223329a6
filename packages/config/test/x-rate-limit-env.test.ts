import { ConfigError, parseEnv, xRateLimitEnvSchema } from '../src';

describe('xRateLimitEnvSchema', () => {
  it('defaults to the free tier and no overrides', () => {
    expect(parseEnv(xRateLimitEnvSchema, {})).toEqual({ X_API_TIER: 'free', X_RATE_LIMITS: {} });
  });

  it('takes a tier and JSON overrides of the table', () => {
    const env = parseEnv(xRateLimitEnvSchema, { X_API_TIER: 'pro', X_RATE_LIMITS: '{"pro":{"POST /2/tweets":{"limit":50,"windowMs":60000}}}' });
    expect(env).toEqual({ X_API_TIER: 'pro', X_RATE_LIMITS: { pro: { 'POST /2/tweets': { limit: 50, windowMs: 60_000 } } } });
  });

  it('names the variable and what is wrong with it', () => {
    const failure = (env: Record<string, string>) => {
      try {
        parseEnv(xRateLimitEnvSchema, env);
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('parsed');
    };
    expect(failure({ X_API_TIER: 'gold' })).toMatchObject({ variables: ['X_API_TIER'] });
    expect(failure({ X_RATE_LIMITS: '{basic:' }).message).toMatch(/X_RATE_LIMITS: must be JSON, e\.g\. \{"basic"/);
    expect(failure({ X_RATE_LIMITS: '{"gold":{}}' }).message).toMatch(/X_RATE_LIMITS\.gold: unknown tier; known: free, basic, pro, enterprise/);
    expect(failure({ X_RATE_LIMITS: '{"free":{"POST /2/tweets":{"limit":-1}}}' })).toMatchObject({ variables: ['X_RATE_LIMITS'] });
  });
});
