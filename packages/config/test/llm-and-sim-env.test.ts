import { ConfigError, apiEnvSchema, llmEnvSchema, parseEnv, simEnvSchema, xSimEnvSchema } from '../src';

describe('llmEnvSchema', () => {
  it('needs only the provider key and applies the defaults', () => {
    expect(parseEnv(llmEnvSchema, { OPENROUTER_API_KEY: 'sk-x' })).toEqual({
      OPENROUTER_BASE_URL: 'https://openrouter.ai/api/v1',
      OPENROUTER_API_KEY: 'sk-x',
      INFERENCE_TIMEOUT_MS: 60_000,
      INFERENCE_ROUTES: {},
      MODEL_PRICES: {},
      PLAN_ACTION_LIMITS: {},
      VERIFY_MODELS: 'true',
      BUDGET_RESERVATION_TTL_MS: 900_000,
      OPENROUTER_TITLE: 'Conveyor',
    });
    expect(() => parseEnv(llmEnvSchema, {})).toThrow(ConfigError);
    expect(() => parseEnv(llmEnvSchema, {})).toThrow(/OPENROUTER_API_KEY/);
  });

  it('parses route and price overrides as JSON and names a bad one', () => {
    const env = parseEnv(llmEnvSchema, {
      OPENROUTER_API_KEY: 'k',
      INFERENCE_ROUTES: '{"score_post":{"maxTokens":300}}',
      MODEL_PRICES: '{"v/m":{"prompt":1,"completion":2}}',
    });
    expect(env.INFERENCE_ROUTES).toEqual({ score_post: { maxTokens: 300 } });
    expect(env.MODEL_PRICES).toEqual({ 'v/m': { prompt: 1, completion: 2 } });
    expect(() => parseEnv(llmEnvSchema, { OPENROUTER_API_KEY: 'k', INFERENCE_ROUTES: '{"score_post":{"colour":"red"}}' })).toThrow(/INFERENCE_ROUTES/);
    expect(() => parseEnv(llmEnvSchema, { OPENROUTER_API_KEY: 'k', MODEL_PRICES: 'cheap' })).toThrow(/MODEL_PRICES: must be JSON/);
  });

  it('parses PLAN_ACTION_LIMITS (plan → LLM task → calls per period), in the API too, and names a bad one', () => {
    const limits = '{"trial":{"generate_draft":100,"score_post":0},"growth":{"process_chat_message":5000}}';
    const expected = { trial: { generate_draft: 100, score_post: 0 }, growth: { process_chat_message: 5000 } };
    expect(parseEnv(llmEnvSchema, { OPENROUTER_API_KEY: 'k', PLAN_ACTION_LIMITS: limits }).PLAN_ACTION_LIMITS).toEqual(expected);
    const api = parseEnv(apiEnvSchema, {
      DATABASE_URL: 'postgres://h/db',
      REDIS_URL: 'redis://h',
      PLAN_ACTION_LIMITS: limits,
      MODEL_PRICES: '{"v/m":{"prompt":1,"completion":2}}',
    });
    expect([api.PLAN_ACTION_LIMITS, api.MODEL_PRICES, api.INFERENCE_ROUTES]).toEqual([expected, { 'v/m': { prompt: 1, completion: 2 } }, {}]);
    const bad = (value: string) => () => parseEnv(llmEnvSchema, { OPENROUTER_API_KEY: 'k', PLAN_ACTION_LIMITS: value });
    expect(bad('{"trial":{"ping":5}}')).toThrow(
      /"ping" is not an LLM task; limits apply to classify_archetype, score_post, extract_patterns, generate_draft, process_chat_message/,
    );
    expect(bad('{"gold":{"score_post":5}}')).toThrow(/PLAN_ACTION_LIMITS/);
    expect(bad('{"trial":{"score_post":-1}}')).toThrow(/PLAN_ACTION_LIMITS/);
    expect(bad('{"trial":{"score_post":1.5}}')).toThrow(/PLAN_ACTION_LIMITS/);
    expect(bad('100')).toThrow(/PLAN_ACTION_LIMITS/);
  });
});

describe("llmEnvSchema's OpenRouter attribution", () => {
  const parse = (env: Record<string, string>) => parseEnv(llmEnvSchema, { OPENROUTER_API_KEY: 'k', ...env });

  it('takes a referer URL and a title, and an empty value means the default (no referer, title Conveyor)', () => {
    expect(parse({ OPENROUTER_REFERER: 'https://conveyor.example.com/app', OPENROUTER_TITLE: 'Acme Jobs' })).toMatchObject({
      OPENROUTER_REFERER: 'https://conveyor.example.com/app',
      OPENROUTER_TITLE: 'Acme Jobs',
    });
    const defaults = parse({ OPENROUTER_REFERER: '', OPENROUTER_TITLE: '' });
    expect(defaults.OPENROUTER_REFERER).toBeUndefined();
    expect(defaults.OPENROUTER_TITLE).toBe('Conveyor');
  });

  it.each([
    ['not a URL', { OPENROUTER_REFERER: 'conveyor' }, /OPENROUTER_REFERER: must be an http:\/\/ or https:\/\/ URL/],
    ['another scheme', { OPENROUTER_REFERER: 'ftp://conveyor.example.com' }, /OPENROUTER_REFERER: must be an http:\/\/ or https:\/\/ URL/],
    ['credentials in the URL', { OPENROUTER_REFERER: 'https://me:hunter2@conveyor.example.com' }, /OPENROUTER_REFERER: must not carry a user name or password/],
    ['a line break in the title', { OPENROUTER_TITLE: 'Conveyor\r\nX-Evil: 1' }, /OPENROUTER_TITLE: must be printable ASCII/],
    ['a title too long', { OPENROUTER_TITLE: 'C'.repeat(101) }, /OPENROUTER_TITLE: must be at most 100 characters/],
  ])('refuses %s, naming the variable', (_what, env, message) => {
    expect(() => parse(env)).toThrow(message);
  });

  it('never repeats a refused referer, which may hold a password', () => {
    expect(() => parse({ OPENROUTER_REFERER: 'https://me:hunter2@conveyor.example.com' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});

describe('simEnvSchema', () => {
  it('defaults to 127.0.0.1:4010, takes SIM_PORT and HOST, and names a port that is not one', () => {
    expect(parseEnv(simEnvSchema, {})).toEqual({ SIM_PORT: 4010, HOST: '127.0.0.1' });
    expect(parseEnv(simEnvSchema, { SIM_PORT: '4999', HOST: '0.0.0.0' })).toEqual({ SIM_PORT: 4999, HOST: '0.0.0.0' });
    expect(() => parseEnv(simEnvSchema, { SIM_PORT: 'four' })).toThrow(/SIM_PORT/);
  });
});

describe('xSimEnvSchema', () => {
  it('defaults to 127.0.0.1:4020 with no accounts given, and names a bad port or account list', () => {
    expect(parseEnv(xSimEnvSchema, {})).toEqual({ X_SIM_PORT: 4020, HOST: '127.0.0.1' });
    const accounts = [{ token: 't1', id: '42', username: 'me', tier: 'pro' }];
    expect(parseEnv(xSimEnvSchema, { X_SIM_ACCOUNTS: JSON.stringify(accounts) }).X_SIM_ACCOUNTS).toEqual(accounts);
    expect(() => parseEnv(xSimEnvSchema, { X_SIM_PORT: 'four' })).toThrow(/X_SIM_PORT/);
    expect(() => parseEnv(xSimEnvSchema, { X_SIM_ACCOUNTS: '[{"token":"t","id":"42","username":"me","tier":"gold"}]' })).toThrow(/X_SIM_ACCOUNTS/);
    expect(() => parseEnv(xSimEnvSchema, { X_SIM_ACCOUNTS: 'me' })).toThrow(/X_SIM_ACCOUNTS: must be JSON/);
  });
});
