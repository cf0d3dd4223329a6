import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ingestionEnvSchema, parseEnv } from '@conveyor/config';
import { DataSourcesSimulator, SIM_COMTRADE_SUBSCRIPTION_KEY, SIM_FRED_API_KEY } from '@conveyor/sim';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack, REPO_ROOT, type RunningProcess, STARTUP_TIMEOUT_MS, freePort, startNode, waitFor, waitUntilServing } from '@conveyor/testkit';
import type { Conveyor } from '@conveyor/client';
import { type Json, clientOf } from './support';

// What `npm start` does about ingestion (scripts/lib/ingestion.mjs, used by scripts/stack.mjs
// up): run by Node on the environment npm start builds (scripts/lib/env.mjs startEnv: .env,
// then the shell), without starting the stack; then the data-source simulator started as npm
// start starts it, with the keys npm start gives the scraping worker; then the worker run with
// what it is given, against that simulator, runs the sources that need a key.

interface Plan {
  simulated: boolean;
  scrapingEnv: Record<string, string>;
  step?: string;
  lines: [string, string][];
}

const lib = (file: string) => pathToFileURL(path.join(REPO_ROOT, 'scripts', 'lib', file)).href;
const run = promisify(execFile);

/** Runs `script` (an ES module) in a Node process of its own, with `shell` as its only variables besides PATH; resolves to what it wrote as JSON. */
async function inNode<T>(script: string, shell: Record<string, string> = {}): Promise<T> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', ...shell } });
  return JSON.parse(stdout) as T;
}

/** ingestionPlan(startEnv(root)), with `dotEnv` as root's .env and `shell` as its only other variables. */
async function planOf(shell: Record<string, string>, dotEnv = ''): Promise<Plan> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-ingestion-'));
  try {
    fs.writeFileSync(path.join(root, '.env'), dotEnv);
    return await inNode<Plan>(
      `const { startEnv } = await import(${JSON.stringify(lib('env.mjs'))});
const { ingestionPlan } = await import(${JSON.stringify(lib('ingestion.mjs'))});
process.stdout.write(JSON.stringify(ingestionPlan(startEnv(${JSON.stringify(root)}))));`,
      shell,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** devSecrets(root) of scripts/lib/ingestion.mjs: the keys, or the error's message. */
const devSecretsOf = (root: string) =>
  inNode<{ keys?: Record<string, string>; error?: string }>(
    `const { devSecrets } = await import(${JSON.stringify(lib('ingestion.mjs'))});
let out;
try { out = { keys: devSecrets(${JSON.stringify(root)}) }; } catch (error) { out = { error: error.message }; }
process.stdout.write(JSON.stringify(out));`,
  );

const example = fs.readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
const line = (plan: Plan, label: string) => plan.lines.find(([l]) => l === label)?.[1];
/** The source URL variables the scraping worker reads: every *_BASE_URL of its schema. */
const SOURCE_URLS = Object.keys(ingestionEnvSchema.shape)
  .filter((name) => name.endsWith('_BASE_URL'))
  .sort();

describe('npm start and ingestion', () => {
  it('with .env.example as .env, runs the data-source simulator and points every source of the scraping worker at it, allowed, its secret store on the environment', async () => {
    const port = await freePort();
    const plan = await planOf({ DATA_SIM_PORT: String(port) }, example);
    const simUrl = `http://127.0.0.1:${port}`;
    expect(plan.simulated).toBe(true);
    expect(plan.scrapingEnv).toEqual({
      ...Object.fromEntries(SOURCE_URLS.map((name) => [name, simUrl])),
      INGESTION_ALLOW_HOSTS: `127.0.0.1:${port}`,
      SECRETS_DIR: '',
      SECRET_MANAGER_ENABLED: 'false',
    });
    // The worker's own schema takes them, the simulator's address allowed.
    const parsed = parseEnv(ingestionEnvSchema, plan.scrapingEnv);
    expect(parsed.INGESTION_ALLOW_HOSTS).toEqual([`127.0.0.1:${port}`]);
    expect(plan.step).toBe(
      `no source URL (GDELT_BASE_URL, RELIEFWEB_BASE_URL, FRED_BASE_URL, WORLDBANK_BASE_URL, COMTRADE_BASE_URL): ingestion goes to the local data-source simulator at ${simUrl}`,
    );
    expect(line(plan, 'data sources')).toBe(
      `the local data-source simulator (${simUrl}), with its development keys; set the *_BASE_URL variables for the public APIs`,
    );
    expect(line(plan, 'ingestion')).toMatch(/^the five system schedules start enabled/);
  });

  it("keeps the user's INGESTION_ALLOW_HOSTS beside the simulator's address", async () => {
    const port = await freePort();
    const plan = await planOf({ DATA_SIM_PORT: String(port), INGESTION_ALLOW_HOSTS: 'mirror.internal:8080' });
    expect(plan.scrapingEnv.INGESTION_ALLOW_HOSTS).toBe(`mirror.internal:8080,127.0.0.1:${port}`);
    expect(parseEnv(ingestionEnvSchema, plan.scrapingEnv).INGESTION_ALLOW_HOSTS).toEqual(['mirror.internal:8080', `127.0.0.1:${port}`]);
  });

  it('with a source URL set, runs no simulator and adds nothing; INGESTION_AUTOSTART=false says the schedules start off', async () => {
    const plan = await planOf({}, 'FRED_BASE_URL=https://api.stlouisfed.org   # from .env\nINGESTION_AUTOSTART=false\n');
    expect(plan).toMatchObject({ simulated: false, scrapingEnv: {} });
    expect(plan.step).toBeUndefined();
    expect(line(plan, 'data sources')).toMatch(/^FRED_BASE_URL as set, the others the public APIs/);
    expect(line(plan, 'ingestion')).toMatch(/^the system schedules start disabled \(INGESTION_AUTOSTART=false\)/);
  });

  it("gives the keys the simulator's routes accept, from the built @conveyor/sim, as the secret store's variables, and never prints them", async () => {
    const { keys } = await devSecretsOf(REPO_ROOT);
    // The variables the store reads for fred_api_key and comtrade_subscription_key.
    expect(keys).toEqual({ FRED_API_KEY: SIM_FRED_API_KEY, COMTRADE_SUBSCRIPTION_KEY: SIM_COMTRADE_SUBSCRIPTION_KEY });
    const plan = await planOf({}, example);
    for (const key of Object.values(keys!)) expect(JSON.stringify(plan)).not.toContain(key);
  });

  it('says to rebuild the simulator when its build has no keys', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-ingestion-'));
    try {
      fs.mkdirSync(path.join(root, 'packages', 'sim', 'dist'), { recursive: true });
      fs.writeFileSync(path.join(root, 'packages', 'sim', 'dist', 'index.js'), 'exports.DataSourcesSimulator = class {};\n');
      expect(await devSecretsOf(root)).toEqual({
        error: expect.stringContaining('packages/sim/dist has no SIM_FRED_API_KEY or SIM_COMTRADE_SUBSCRIPTION_KEY: rebuild it'),
      });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the data-source simulator as npm start runs it', () => {
  it('serves every source of the package on the port it is given, takes the keys npm start gives the worker and refuses others, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const { DATA_SIM } = await inNode<{ DATA_SIM: { script: string; healthPath: string; portVar: string } }>(
      `const { DATA_SIM } = await import(${JSON.stringify(lib('apps.mjs'))}); process.stdout.write(JSON.stringify({ DATA_SIM }));`,
    );
    const { keys } = await devSecretsOf(REPO_ROOT);
    const sim = startNode(path.join(REPO_ROOT, DATA_SIM.script), { [DATA_SIM.portVar]: String(port), HOST: '127.0.0.1' }, 'data-sim');
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitUntilServing(sim, `${base}${DATA_SIM.healthPath}`, 'data-sim', STARTUP_TIMEOUT_MS);
      expect(await (await fetch(`${base}${DATA_SIM.healthPath}`)).json()).toEqual({ ok: true, sources: new DataSourcesSimulator().sources });
      expect(sim.output()).toContain('"message":"data-source simulator listening"');

      const fred = (key: string) => fetch(`${base}/fred/series/observations?series_id=GDP&file_type=json&api_key=${key}`);
      expect((await fred(keys!.FRED_API_KEY!)).status).toBe(200);
      expect((await fred('0'.repeat(32))).status).toBe(400);
      const comtrade = (key: string) => fetch(`${base}/data/v1/get/C/M/HS?reporterCode=842&period=202401`, { headers: { 'Ocp-Apim-Subscription-Key': key } });
      expect((await comtrade(keys!.COMTRADE_SUBSCRIPTION_KEY!)).status).toBe(200);
      expect((await comtrade('another-key')).status).toBe(401);
    } finally {
      expect(await sim.stop('SIGTERM')).toBe(0);
    }
  }, 60_000);
});

describe('the scraping worker as npm start runs it', () => {
  let data: RunningProcess;
  let stack: AppStack;
  let admin: Conveyor;

  beforeAll(async () => {
    const port = await freePort();
    const plan = await planOf({ DATA_SIM_PORT: String(port) }, example);
    const { keys } = await devSecretsOf(REPO_ROOT);
    data = startNode(path.join(REPO_ROOT, 'packages', 'sim', 'dist', 'data-main.js'), { DATA_SIM_PORT: String(port), HOST: '127.0.0.1' }, 'data-sim');
    await waitUntilServing(data, `http://127.0.0.1:${port}/_sim/health`, 'data-sim', STARTUP_TIMEOUT_MS);
    stack = await AppStack.create({ template: { key: schemaFingerprint(), migrate: migrateUrl } });
    const apiPort = await freePort();
    await Promise.all([
      stack.start('api', apiPort),
      // What npm start gives this worker alone: the simulator's address, allowed, and its keys.
      stack.start('worker-scraping', await freePort(), { NODE_ENV: 'development', ...plan.scrapingEnv, ...keys }),
    ]);
    admin = clientOf(apiPort, await stack.createAdminKey());
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
    await data?.stop('SIGTERM');
  }, 30_000);

  // Every source, the keyed ones (fred, comtrade) with the simulator's keys, at the public APIs'
  // own pace: a run its bucket holds back (GDELT's one request in 5 s) is deferred and goes on.
  it.each(new DataSourcesSimulator().sources)(
    'runs %s to success against the simulator',
    async (source) => {
      // The ingestion routes have no typed resource in the client: conveyor.request.
      const runs = async () => (await admin.request<Json>('GET', '/ingestion/runs', { query: { source } })).runs as Json[];
      const started = await admin.request<Json>('POST', `/ingestion/${source}/run`, { body: {} });
      expect(started).toMatchObject({ task_id: expect.any(String), source, status: 'PENDING' });
      // The task's last run in the audit trail (an admin key reads runs, not the system tenant's tasks).
      const run = await waitFor(
        async () => (await runs()).find((r) => r.task_id === started.task_id && ['succeeded', 'failed'].includes(r.status)),
        `the ${source} run to finish`,
        240_000,
        200,
      );
      expect(run).toMatchObject({ source, status: 'succeeded', error: null });
      // A deferred run keeps what it stored; the run that finishes the task goes on from there.
      const ofTask = (await runs()).filter((r) => r.task_id === started.task_id);
      expect(ofTask.reduce((sum: number, r) => sum + (r.inserted as number), 0)).toBeGreaterThan(0);
      const records = await admin.request<Json>('GET', `/ingestion/${source}/records`, { query: { limit: 5 } });
      expect(records.records).toHaveLength(5);
    },
    300_000,
  );
});
