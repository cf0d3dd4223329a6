import { ConfigError, parseEnv, secretsEnvSchema } from '../src';

describe('secretsEnvSchema', () => {
  it('defaults to the environment only with a minute of cache', () => {
    expect(parseEnv(secretsEnvSchema, {})).toEqual({ SECRETS_CACHE_TTL_MS: 60_000 });
  });

  it('reads the directory and a TTL of 0 (no cache)', () => {
    expect(parseEnv(secretsEnvSchema, { SECRETS_DIR: '/run/secrets', SECRETS_CACHE_TTL_MS: '0' })).toEqual({
      SECRETS_DIR: '/run/secrets',
      SECRETS_CACHE_TTL_MS: 0,
    });
  });

  it('names a negative TTL', () => {
    expect(() => parseEnv(secretsEnvSchema, { SECRETS_CACHE_TTL_MS: '-1' })).toThrow(ConfigError);
    expect(() => parseEnv(secretsEnvSchema, { SECRETS_CACHE_TTL_MS: '-1' })).toThrow('SECRETS_CACHE_TTL_MS: must be 0 (no cache) or more milliseconds');
  });
});
