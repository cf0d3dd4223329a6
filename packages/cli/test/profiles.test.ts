import { chmodSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CliStack, cli, cliStack } from './support/cli';

// Profiles in a config file of the test's own, chosen by flag, environment or `profile use`,
// against the real API: a wrong key is refused (401, exit 3), the right one answers.

const s: CliStack = cliStack();
afterAll(() => s.close());

const WRONG_KEY = 'cvk_wrong_key_that_the_api_does_not_know_0123';

function configIn(dir = mkdtempSync(path.join(tmpdir(), 'conveyor-profiles-'))) {
  const file = path.join(dir, 'conveyor', 'config.json');
  return { file, env: { CONVEYOR_CONFIG: file } };
}

describe('profiles', () => {
  it('writes the file 0600 in a folder 0700, and masks keys in profile list', async () => {
    const key = await s.tenantKey();
    const { file, env } = configIn();
    const added = await cli(['profile', 'add', 'local', '--base-url', s.baseUrl, '--api-key', key, '--json'], env);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'local', current: true, file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ current: 'local', profiles: { local: { base_url: s.baseUrl, api_key: key } } });

    const listed = await cli(['profile', 'list'], env);
    expect(listed.stdout).toMatch(/^\*\s+local\s+http:\/\/127\.0\.0\.1:\d+\s+cvk_\S{4}…\(\d+ chars\)$/m);
    const listedJson = await cli(['profile', 'list', '--json'], env);
    for (const out of [added.stdout, added.stderr, listed.stdout, listedJson.stdout]) expect(out).not.toContain(key);
    expect(JSON.parse(listedJson.stdout).profiles).toEqual([{ name: 'local', base_url: s.baseUrl, api_key: expect.stringMatching(/^cvk_/), current: true }]);

    // The current profile is used without any flag.
    expect((await cli(['task-types'], env)).code).toBe(0);
  });

  it('takes each setting from the flag, then the environment, then --profile or CONVEYOR_PROFILE, then the current profile', async () => {
    const key = await s.tenantKey();
    const { env } = configIn();
    expect((await cli(['profile', 'add', 'good', '--base-url', s.baseUrl, '--api-key', key], env)).code).toBe(0);
    expect((await cli(['profile', 'add', 'bad', '--base-url', s.baseUrl, '--api-key', WRONG_KEY, '--use'], env)).code).toBe(0);

    const current = await cli(['task-types'], env);
    expect(current.code).toBe(3);
    expect(current.stderr).toMatch(/401/);
    expect(current.stderr).not.toContain(WRONG_KEY);
    expect((await cli(['task-types', '--profile', 'good'], env)).code).toBe(0);
    expect((await cli(['task-types'], { ...env, CONVEYOR_PROFILE: 'good' })).code).toBe(0);
    expect((await cli(['task-types', '--profile', 'bad'], { ...env, CONVEYOR_PROFILE: 'good' })).code).toBe(3);
    // The environment's key beats the profile's; the flag beats the environment.
    expect((await cli(['task-types'], { ...env, CONVEYOR_API_KEY: key })).code).toBe(0);
    expect((await cli(['task-types', '--api-key', WRONG_KEY], { ...env, CONVEYOR_PROFILE: 'good' })).code).toBe(3);
    expect((await cli(['task-types', '--api-key', key], env)).code).toBe(0);

    const unknown = await cli(['task-types', '--profile', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No profile named "nope"');
    expect(unknown.stderr).toContain('(there are: good, bad)');

    expect((await cli(['profile', 'use', 'good'], env)).code).toBe(0);
    expect((await cli(['task-types'], env)).code).toBe(0);
    expect((await cli(['profile', 'remove', 'good'], env)).code).toBe(0);
    const none = await cli(['task-types'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No base URL and API key');
  });

  it('refuses a config file that others can read, saying how to fix it', async () => {
    const key = await s.tenantKey();
    const { file, env } = configIn();
    expect((await cli(['profile', 'add', 'p', '--base-url', s.baseUrl, '--api-key', key], env)).code).toBe(0);
    chmodSync(file, 0o644);
    const refused = await cli(['task-types'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`is readable by others (mode 644) and holds API keys; refusing to use it. Run: chmod 600 '${file}'`);
    expect((await cli(['profile', 'list'], env)).code).toBe(2);
    chmodSync(file, 0o600);
    expect((await cli(['task-types'], env)).code).toBe(0);
  });

  it('refuses profile add without both settings, and a bad name, with exit 2', async () => {
    const { env } = configIn();
    expect((await cli(['profile', 'add', 'x', '--base-url', s.baseUrl], env)).code).toBe(2);
    expect((await cli(['profile', 'add', 'a b', '--base-url', s.baseUrl, '--api-key', WRONG_KEY], env)).code).toBe(2);
    expect((await cli(['profile', 'add', 'x', '--base-url', 'localhost:3000', '--api-key', WRONG_KEY], env)).code).toBe(2);
    expect((await cli(['profile', 'use', 'missing'], env)).code).toBe(2);
  });
});
