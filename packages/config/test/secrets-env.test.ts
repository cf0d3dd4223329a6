import { ConfigError, parseEnv, secretsEnvSchema } from '../src';

describe('secretsEnvSchema', () => {
  it('defaults to the environment only with a minute of cache', () => {
    expect(parseEnv(secretsEnvSchema, {})).toEqual({ SECRETS_CACHE_TTL_MS: 60_000, SECRET_MANAGER_ENABLED: false });
  });

  it('reads the directory and a TTL of 0 (no cache)', () => {
    expect(parseEnv(secretsEnvSchema, { SECRETS_DIR: '/run/secrets', SECRETS_CACHE_TTL_MS: '0' })).toEqual({
      SECRETS_DIR: '/run/secrets',
      SECRETS_CACHE_TTL_MS: 0,
      SECRET_MANAGER_ENABLED: false,
    });
  });

  it('names a negative TTL', () => {
    expect(() => parseEnv(secretsEnvSchema, { SECRETS_CACHE_TTL_MS: '-1' })).toThrow(ConfigError);
    expect(() => parseEnv(secretsEnvSchema, { SECRETS_CACHE_TTL_MS: '-1' })).toThrow('SECRETS_CACHE_TTL_MS: must be 0 (no cache) or more milliseconds');
  });
});

describe('secretsEnvSchema for Google Secret Manager', () => {
  it('is off by default and needs a project when on', () => {
    expect(parseEnv(secretsEnvSchema, {}).SECRET_MANAGER_ENABLED).toBe(false);
    expect(() => parseEnv(secretsEnvSchema, { SECRET_MANAGER_ENABLED: 'true' })).toThrow(
      'GCP_PROJECT_ID: required when SECRET_MANAGER_ENABLED=true: the project whose secrets are read',
    );
    expect(
      parseEnv(secretsEnvSchema, { SECRET_MANAGER_ENABLED: 'true', GCP_PROJECT_ID: 'acme', SECRET_MANAGER_ENDPOINT: 'http://127.0.0.1:8085' }),
    ).toMatchObject({
      SECRET_MANAGER_ENABLED: true,
      GCP_PROJECT_ID: 'acme',
      SECRET_MANAGER_ENDPOINT: 'http://127.0.0.1:8085',
    });
  });

  it('names a bad switch or endpoint', () => {
    expect(() => parseEnv(secretsEnvSchema, { SECRET_MANAGER_ENABLED: 'yes' })).toThrow('SECRET_MANAGER_ENABLED: must be true or false');
    expect(() => parseEnv(secretsEnvSchema, { SECRET_MANAGER_ENDPOINT: 'ftp://x' })).toThrow('SECRET_MANAGER_ENDPOINT: must be an http(s) URL');
  });
});
