import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSecretStore } from '../src';

// The built CLI (packages/integrations/dist/cli/set-secret.js), as `npm run secret:set` runs it.
const CLI = path.resolve(__dirname, '../dist/cli/set-secret.js');
const CANARY = 'canary-7d3a41-must-never-leak';

// Every case starts a Node.js process that loads the Google client: seconds each on a busy
// machine, and one test runs seven of them. The bound is for a CLI that hangs, not a speed.
jest.setTimeout(180_000);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'conveyor-set-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; output: string }> {
  const { SECRETS_DIR: _dir, SECRET_MANAGER_ENABLED: _gsm, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...inherited, ...env } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

it('writes the value to the secrets directory, where getSecret finds it, printing only where', async () => {
  const secrets = path.join(dir, 'secrets');
  const result = await cli({ SECRETS_DIR: secrets }, 'fred_api_key', CANARY);
  expect(result).toEqual({ code: 0, output: `stored secret fred_api_key in ${path.join(secrets, 'fred_api_key')}\n` });
  expect(statSync(path.join(secrets, 'fred_api_key')).mode & 0o777).toBe(0o600);
  await expect(createSecretStore({ SECRETS_DIR: secrets, SECRETS_CACHE_TTL_MS: 0 }, { env: {} }).getSecret('fred_api_key')).resolves.toBe(CANARY);
});

it('--from-file takes the file content, one trailing newline dropped', async () => {
  const source = path.join(dir, 'value.txt');
  writeFileSync(source, `${CANARY}\n`);
  const result = await cli({ SECRETS_DIR: dir }, 'from_file', '--from-file', source);
  expect(result.code).toBe(0);
  expect(result.output).not.toContain(CANARY);
  expect(readFileSync(path.join(dir, 'from_file'), 'utf8')).toBe(CANARY);
});

it('refuses bad input with a usage message and status 2, never repeating the value', async () => {
  const cases: [string[], Record<string, string>, string][] = [
    [[], { SECRETS_DIR: dir }, 'give the name of the secret'],
    [['only_name'], { SECRETS_DIR: dir }, 'give the value or --from-file <path> (one of them)'],
    [['both', CANARY, '--from-file', '/x'], { SECRETS_DIR: dir }, 'give the value or --from-file <path> (one of them)'],
    [['name', CANARY, 'extra'], { SECRETS_DIR: dir }, 'expected at most a name and a value, got 3 arguments'],
    [['name', '--from-file', path.join(dir, 'absent')], { SECRETS_DIR: dir }, `cannot read ${path.join(dir, 'absent')} (ENOENT)`],
    [['../escape', CANARY], { SECRETS_DIR: dir }, 'set-secret failed: a secret name is 1-128 letters'],
    [['name', CANARY], { SECRETS_DIR: dir, SECRETS_CACHE_TTL_MS: '-5' }, 'SECRETS_CACHE_TTL_MS: must be 0 (no cache) or more milliseconds'],
  ];
  for (const [args, env, message] of cases) {
    const result = await cli(env, ...args);
    expect(result.code).toBe(2);
    expect(result.output).toContain(message);
    expect(result.output).not.toContain(CANARY);
  }
});

it('fails without a writable backend (no SECRETS_DIR), saying what to set', async () => {
  const result = await cli({}, 'fred_api_key', CANARY);
  expect(result).toEqual({
    code: 1,
    output: 'set-secret failed: no writable secrets backend is configured: set SECRETS_DIR to a directory (or SECRET_MANAGER_ENABLED=true)\n',
  });
});
