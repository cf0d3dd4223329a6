import { parseEnv, xApiEnvSchema } from '../src';

describe('xApiEnvSchema', () => {
  it('defaults to X itself, 30 s, and dry run only in development (unset NODE_ENV is production)', () => {
    expect(parseEnv(xApiEnvSchema, {})).toEqual({ X_API_BASE_URL: 'https://api.x.com', X_API_TIMEOUT_MS: 30_000, X_DRY_RUN: false });
    expect(parseEnv(xApiEnvSchema, { NODE_ENV: 'development' }).X_DRY_RUN).toBe(true);
    expect(parseEnv(xApiEnvSchema, { NODE_ENV: 'test' }).X_DRY_RUN).toBe(false);
    expect(parseEnv(xApiEnvSchema, { NODE_ENV: 'production' }).X_DRY_RUN).toBe(false);
  });

  it('takes X_DRY_RUN over NODE_ENV either way, and an empty value as unset', () => {
    expect(parseEnv(xApiEnvSchema, { NODE_ENV: 'development', X_DRY_RUN: 'false' }).X_DRY_RUN).toBe(false);
    expect(parseEnv(xApiEnvSchema, { NODE_ENV: 'production', X_DRY_RUN: 'true' }).X_DRY_RUN).toBe(true);
    expect(parseEnv(xApiEnvSchema, { NODE_ENV: 'development', X_DRY_RUN: '' }).X_DRY_RUN).toBe(true);
  });

  it('takes the simulator’s address and a timeout, and names a bad value', () => {
    expect(parseEnv(xApiEnvSchema, { X_API_BASE_URL: 'http://127.0.0.1:4020', X_API_TIMEOUT_MS: '5000' })).toMatchObject({
      X_API_BASE_URL: 'http://127.0.0.1:4020',
      X_API_TIMEOUT_MS: 5000,
    });
    expect(() => parseEnv(xApiEnvSchema, { X_DRY_RUN: 'yes' })).toThrow(/X_DRY_RUN: must be true or false/);
    expect(() => parseEnv(xApiEnvSchema, { X_API_BASE_URL: 'ftp://x.com' })).toThrow(/X_API_BASE_URL: must be an http\(s\) URL/);
    expect(() => parseEnv(xApiEnvSchema, { X_API_TIMEOUT_MS: '0' })).toThrow(/X_API_TIMEOUT_MS/);
  });
});
