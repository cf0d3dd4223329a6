import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUEUE_NAMES } from '@conveyor/contracts';
import { APPS, apiEnvSchema, parseEnv, schedulerEnvSchema, workerDefaultPort } from '../src';

// The app registry (src/apps.json) against the rest of the repository: what adding or
// renaming an app or a queue must keep in step.
const ROOT = path.resolve(__dirname, '../../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const valid = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/conveyor', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('the app registry', () => {
  it('has one worker app per queue of the contracts, and no other worker', () => {
    const workerQueues = APPS.filter((app) => app.kind === 'worker').map((app) => app.queue);
    expect([...workerQueues].sort()).toEqual([...QUEUE_NAMES].sort());
  });

  it('names every directory under apps/ (an app, or a site another app serves), and each has one with that package name', () => {
    const dirs = fs.readdirSync(path.join(ROOT, 'apps'), { withFileTypes: true }).filter((d) => d.isDirectory());
    const sites: { name: string; servedBy: string }[] = JSON.parse(read('packages/config/src/apps.json')).sites;
    expect(dirs.map((d) => d.name).sort()).toEqual([...APPS, ...sites].map((app) => app.name).sort());
    for (const app of [...APPS, ...sites]) expect(JSON.parse(read(`apps/${app.name}/package.json`)).name).toBe(`@conveyor/${app.name}`);
    for (const site of sites) expect(APPS.map((app) => app.name)).toContain(site.servedBy);
  });

  it('gives each app its own name and default port', () => {
    expect(new Set(APPS.map((app) => app.name)).size).toBe(APPS.length);
    expect(new Set(APPS.map((app) => app.defaultPort)).size).toBe(APPS.length);
  });

  it("is where the apps' default ports come from, not a literal in a main.ts", () => {
    expect(parseEnv(apiEnvSchema, valid).API_PORT).toBe(APPS.find((app) => app.name === 'api')!.defaultPort);
    expect(parseEnv(schedulerEnvSchema, valid).SCHEDULER_PORT).toBe(APPS.find((app) => app.name === 'scheduler')!.defaultPort);
    for (const queue of QUEUE_NAMES) expect(workerDefaultPort(queue)).toBe(APPS.find((app) => app.queue === queue)!.defaultPort);
    for (const app of APPS) expect(read(`apps/${app.name}/src/main.ts`)).not.toMatch(/defaultPort|\b\d{4}\b/);
  });

  it("agrees with .env.example's ports", () => {
    const example = read('.env.example');
    for (const app of APPS.filter((a) => a.kind !== 'worker')) expect(example).toMatch(new RegExp(`^${app.portVariable}=${app.defaultPort}\\b`, 'm'));
  });
});

describe("the README's apps table", () => {
  const script = path.join(ROOT, 'scripts', 'readme-apps.mjs');

  it('is the one generated from the registry', () => {
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('fails the check when a row differs from the registry', () => {
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'readme-')), 'README.md');
    const port = APPS.at(-1)!.defaultPort;
    fs.writeFileSync(copy, read('README.md').replace(`\` ${port} |`, `\` ${port + 1} |`));
    const result = spawnSync(process.execPath, [script, '--check', copy], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the apps table differs from packages/config/src/apps.json');
  });
});
