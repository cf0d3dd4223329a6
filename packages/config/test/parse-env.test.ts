import { ConfigError, apiEnvSchema, parseEnv, workerEnvSchema } from '../src';

const valid = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/conveyor', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('parseEnv', () => {
  it('applies defaults and coerces numbers', () => {
    const env = parseEnv(apiEnvSchema, { ...valid, API_PORT: '4000' });
    expect(env.API_PORT).toBe(4000);
    expect(env.API_BODY_LIMIT_BYTES).toBe(1_048_576);
    expect(env.BULLMQ_PREFIX).toBe('conveyor');
  });

  it('names every missing variable', () => {
    let caught: unknown;
    try {
      parseEnv(apiEnvSchema, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variables.sort()).toEqual(['DATABASE_URL', 'REDIS_URL']);
    expect((caught as ConfigError).message).toMatch(/DATABASE_URL/);
  });

  it('rejects a bad value and names it', () => {
    expect(() => parseEnv(apiEnvSchema, { ...valid, API_PORT: 'eighty' })).toThrow(/API_PORT/);
    expect(() => parseEnv(apiEnvSchema, { ...valid, DATABASE_URL: 'mysql://x@y/z' })).toThrow(/DATABASE_URL: must be a postgres/);
  });

  it('treats an empty string as unset', () => {
    expect(parseEnv(workerEnvSchema(9401), { ...valid, WORKER_PORT: '' }).WORKER_PORT).toBe(9401);
  });

  it('parses API_RATE_LIMITS as plan (or admin) → requests per minute, keeping the defaults of those it omits', () => {
    expect(parseEnv(apiEnvSchema, valid).API_RATE_LIMITS).toEqual({ trial: 600, starter: 3000, growth: 12000, admin: 30000 });
    expect(parseEnv(apiEnvSchema, { ...valid, API_RATE_LIMITS: '{"trial": 5, "admin": 50}' }).API_RATE_LIMITS).toEqual({
      trial: 5,
      starter: 3000,
      growth: 12000,
      admin: 50,
    });
    expect(() => parseEnv(apiEnvSchema, { ...valid, API_RATE_LIMITS: '{"free": 5}' })).toThrow(/API_RATE_LIMITS/);
    expect(() => parseEnv(apiEnvSchema, { ...valid, API_RATE_LIMITS: '{"trial": 0}' })).toThrow(/API_RATE_LIMITS/);
  });

  it('parses DATASET_UPLOAD_LIMITS as plan (or admin) → bytes, keeping the defaults of those it omits', () => {
    const MB = 1024 * 1024;
    expect(parseEnv(apiEnvSchema, valid).DATASET_UPLOAD_LIMITS).toEqual({ trial: 10 * MB, starter: 100 * MB, growth: 500 * MB, admin: 500 * MB });
    expect(parseEnv(apiEnvSchema, { ...valid, DATASET_UPLOAD_LIMITS: '{"trial": 2048}' }).DATASET_UPLOAD_LIMITS).toEqual({
      trial: 2048,
      starter: 100 * MB,
      growth: 500 * MB,
      admin: 500 * MB,
    });
    expect(() => parseEnv(apiEnvSchema, { ...valid, DATASET_UPLOAD_LIMITS: '{"free": 5}' })).toThrow(/DATASET_UPLOAD_LIMITS/);
    expect(() => parseEnv(apiEnvSchema, { ...valid, DATASET_UPLOAD_LIMITS: '{"trial": 1.5}' })).toThrow(/DATASET_UPLOAD_LIMITS/);
  });

  it('parses TASK_OVERRIDES as JSON of known tasks and partial policies', () => {
    const env = parseEnv(workerEnvSchema(1), { ...valid, TASK_OVERRIDES: '{"test_task":{"attempts":5,"hardTimeoutMs":2000}}' });
    expect(env.TASK_OVERRIDES).toEqual({ test_task: { attempts: 5, hardTimeoutMs: 2000 } });
    expect(parseEnv(workerEnvSchema(1), valid).TASK_OVERRIDES).toEqual({});
    expect(() => parseEnv(workerEnvSchema(1), { ...valid, TASK_OVERRIDES: '{nope' })).toThrow(/TASK_OVERRIDES: must be JSON/);
    expect(() => parseEnv(workerEnvSchema(1), { ...valid, TASK_OVERRIDES: '{"nuke":{"attempts":1}}' })).toThrow(/unknown task/);
    expect(() => parseEnv(workerEnvSchema(1), { ...valid, TASK_OVERRIDES: '{"ping":{"attempts":0}}' })).toThrow(/TASK_OVERRIDES/);
  });
});
