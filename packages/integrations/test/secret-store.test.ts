import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { InvalidSecretRefError, SecretNotFoundError, SecretStore, createSecretStore } from '../src';
import { rejectionOf } from './rejection-of';

const CANARY = 'canary-5f1e9c-must-never-leak';

describe('SecretStore over a secrets directory and the environment', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'conveyor-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('looks in the directory first, then falls back to the environment', async () => {
    writeFileSync(path.join(dir, 'fred_api_key'), 'from-directory\n');
    const store = createSecretStore({ SECRETS_DIR: dir, SECRETS_CACHE_TTL_MS: 0 }, { env: { FRED_API_KEY: 'from-env', OTHER_KEY: 'other-from-env' } });
    await expect(store.getSecret('fred_api_key')).resolves.toBe('from-directory');
    await expect(store.getSecret('other_key')).resolves.toBe('other-from-env');
  });

  it('reads the environment alone when no directory is configured; an empty file or variable counts as unset', async () => {
    writeFileSync(path.join(dir, 'blank'), '\n');
    const envOnly = createSecretStore({ SECRETS_CACHE_TTL_MS: 0 }, { env: { FRED_API_KEY: 'from-env' } });
    await expect(envOnly.getSecret('fred_api_key')).resolves.toBe('from-env');
    await expect(envOnly.getSecret('fred-api.key')).resolves.toBe('from-env');
    const withBlank = createSecretStore({ SECRETS_DIR: dir, SECRETS_CACHE_TTL_MS: 0 }, { env: { BLANK: 'env-wins' } });
    await expect(withBlank.getSecret('blank')).resolves.toBe('env-wins');
  });

  it('names the secret and every place looked when it is nowhere', async () => {
    const store = createSecretStore({ SECRETS_DIR: '/run/secrets', SECRETS_CACHE_TTL_MS: 0 }, { env: {} });
    const error = await rejectionOf(store.getSecret('fred_api_key'));
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect(error.message).toBe('secret fred_api_key is not available: looked in /run/secrets/fred_api_key and the environment variable FRED_API_KEY');
    const envOnly = await rejectionOf(createSecretStore({ SECRETS_CACHE_TTL_MS: 0 }, { env: {} }).getSecret('fred_api_key'));
    expect(envOnly.message).toBe('secret fred_api_key is not available: looked in the environment variable FRED_API_KEY');
  });

  it('refuses names that could leave the directory, without repeating them', async () => {
    mkdirSync(path.join(dir, 'inner'));
    writeFileSync(path.join(dir, 'outside'), CANARY);
    const store = createSecretStore({ SECRETS_DIR: path.join(dir, 'inner'), SECRETS_CACHE_TTL_MS: 0 }, { env: {} });
    for (const name of ['../outside', '..', '.', '.hidden', 'a/b', '/etc/passwd', '', 'x'.repeat(129), 'a\0b', CANARY + '/x']) {
      const error = await rejectionOf(store.getSecret(name));
      expect(error).toBeInstanceOf(InvalidSecretRefError);
      expect(error.message).toMatch(
        /^a secret name is 1-128 letters, digits, _ \. or - starting with a letter, digit or _ \(like fred_api_key\); got a reference of \d+ characters$/,
      );
    }
  });

  it('reports a file it cannot read with the reason, not the content', async () => {
    mkdirSync(path.join(dir, 'a_directory'));
    const error = await rejectionOf(createSecretStore({ SECRETS_DIR: dir, SECRETS_CACHE_TTL_MS: 0 }, { env: {} }).getSecret('a_directory'));
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect(error.message).toBe(`secret a_directory is not available: ${path.join(dir, 'a_directory')} cannot be read (EISDIR)`);
  });

  it('reuses a value for the cache TTL on the injected clock, then reads again; misses are not cached', async () => {
    let now = 1_000;
    const file = path.join(dir, 'rotating');
    const store = createSecretStore({ SECRETS_DIR: dir, SECRETS_CACHE_TTL_MS: 60_000 }, { env: {}, now: () => now });
    await expect(rejectionOf(store.getSecret('rotating'))).resolves.toBeInstanceOf(SecretNotFoundError);
    writeFileSync(file, 'first');
    await expect(store.getSecret('rotating')).resolves.toBe('first');
    writeFileSync(file, 'second');
    now += 59_999;
    await expect(store.getSecret('rotating')).resolves.toBe('first');
    now += 1;
    await expect(store.getSecret('rotating')).resolves.toBe('second');
  });

  it('counts lookups by source in the registry, with neither names nor values', async () => {
    const registry = new Registry();
    writeFileSync(path.join(dir, 'canary_key'), CANARY);
    const store = createSecretStore({ SECRETS_DIR: dir, SECRETS_CACHE_TTL_MS: 1000 }, { env: { ENV_KEY: CANARY }, now: () => 0, registry });
    await store.getSecret('canary_key');
    await store.getSecret('canary_key');
    await store.getSecret('env_key');
    await rejectionOf(store.getSecret('missing_key'));
    const text = await registry.metrics();
    expect(text).toContain('conveyor_secret_lookups_total{source="directory",result="found"} 1');
    expect(text).toContain('conveyor_secret_lookups_total{source="cache",result="found"} 1');
    expect(text).toContain('conveyor_secret_lookups_total{source="env",result="found"} 1');
    expect(text).toContain('conveyor_secret_lookups_total{source="none",result="missing"} 1');
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('canary_key');
  });

  it('setSecret writes an owner-only file, replaces the cached value, and refuses without a writable backend', async () => {
    const store = createSecretStore({ SECRETS_DIR: path.join(dir, 'new'), SECRETS_CACHE_TTL_MS: 60_000 }, { env: {}, now: () => 0 });
    await expect(store.setSecret('fred_api_key', 'v1')).resolves.toBe(path.join(dir, 'new', 'fred_api_key'));
    await expect(store.getSecret('fred_api_key')).resolves.toBe('v1');
    await store.setSecret('fred_api_key', CANARY);
    await expect(store.getSecret('fred_api_key')).resolves.toBe(CANARY);
    expect(statSync(path.join(dir, 'new', 'fred_api_key')).mode & 0o777).toBe(0o600);
    const readOnly = new SecretStore({ backends: [], cacheTtlMs: 0 });
    const error = await rejectionOf(readOnly.setSecret('fred_api_key', CANARY));
    expect(error.message).toBe('no writable secrets backend is configured: set SECRETS_DIR to a directory (or SECRET_MANAGER_ENABLED=true)');
    const bad = await rejectionOf(store.setSecret('../x', CANARY));
    expect(bad).toBeInstanceOf(InvalidSecretRefError);
    expect(`${bad.message}${error.stack}${bad.stack}`).not.toContain(CANARY);
  });
});
