import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, apiEnvSchema, llmEnvSchema, parseEnv } from '../src';

const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-secrets-'));
function secretFile(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}
const redis = { REDIS_URL: 'redis://127.0.0.1:6379' };

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('X_FILE: a variable read from a mounted secret file', () => {
  it('reads the value from the file, without the newline echo adds', () => {
    const url = 'postgres://conveyor:s3cr%40t@db:5432/conveyor';
    const env = parseEnv(apiEnvSchema, { ...redis, DATABASE_URL_FILE: secretFile('database_url', `${url}\n`) });
    expect(env.DATABASE_URL).toBe(url);
    expect(parseEnv(llmEnvSchema, { OPENROUTER_API_KEY_FILE: secretFile('key', 'sk-or-123') }).OPENROUTER_API_KEY).toBe('sk-or-123');
  });

  it('refuses a variable set both ways, naming it', () => {
    const error = configError(() =>
      parseEnv(apiEnvSchema, { ...redis, DATABASE_URL: 'postgres://a@b/c', DATABASE_URL_FILE: secretFile('both', 'postgres://x@y/z') }),
    );
    expect(error.variables).toEqual(['DATABASE_URL']);
    expect(error.message).toMatch(/set DATABASE_URL or DATABASE_URL_FILE, not both/);
  });

  it('names a missing or empty file by its path and never prints what a file holds', () => {
    const missing = configError(() => parseEnv(apiEnvSchema, { ...redis, DATABASE_URL_FILE: path.join(dir, 'nope') }));
    expect(missing.message).toContain(`DATABASE_URL_FILE: cannot read DATABASE_URL from ${path.join(dir, 'nope')} (ENOENT)`);
    const empty = configError(() => parseEnv(llmEnvSchema, { OPENROUTER_API_KEY_FILE: secretFile('empty', '\n') }));
    expect(empty.message).toMatch(/OPENROUTER_API_KEY_FILE: cannot read .* \(the file is empty\)/);
    const invalid = configError(() => parseEnv(apiEnvSchema, { ...redis, DATABASE_URL_FILE: secretFile('wrong', 'mysql://root:hunter2@db/x') }));
    expect(invalid.message).toMatch(/DATABASE_URL: must be a postgres/);
    expect(invalid.message).not.toContain('hunter2');
  });

  it('reads only the files of variables the schema knows', () => {
    const env = { ...redis, DATABASE_URL: 'postgres://a@b/c', UNRELATED_FILE: path.join(dir, 'not-there') };
    expect(parseEnv(apiEnvSchema, env).DATABASE_URL).toBe('postgres://a@b/c');
  });
});
