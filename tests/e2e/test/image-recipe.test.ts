import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appEntry } from '@conveyor/config';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { LlmSimulator } from '@conveyor/sim';
import {
  APPS,
  REPO_ROOT,
  STARTUP_TIMEOUT_MS,
  TEST_REDIS_URL,
  type TestDatabase,
  createEmptyDatabase,
  createTestDatabase,
  deleteKeysWithPrefix,
  freePort,
  uniquePrefix,
  waitUntilServing,
} from '@conveyor/testkit';
import { Client } from 'pg';
import { parseAllDocuments, stringify } from 'yaml';
import { type BuildOptions, type ImageFolder, buildImageFolder } from './image-recipe';
import { devDependenciesInImage, nonRootUser, packagesNotInstalled, runInImage, startImage, uidOf } from './image-run';

// No Docker engine runs here, so every app's image (infra/docker/Dockerfile) is rehearsed by
// its own steps (image-recipe.ts): turbo prune, the COPY lines, the production install from
// the pruned lockfile, the entry-point shim; then the app is started from that folder as the
// image starts it (`node main.js`, its ENV, a non-root user), answers its health path, passes
// the image's HEALTHCHECK, and exits 0 on SIGTERM.

const DOCKERFILE = fs.readFileSync(path.join(REPO_ROOT, 'infra', 'docker', 'Dockerfile'), 'utf8');
/** The LLM simulator's image: port and health path as infra/docker/healthcheck.mjs asks them. */
const SIM = { portVariable: 'SIM_PORT', healthPath: '/v1/models' };
const IMAGES = [...APPS, 'sim'] as const;
/** Images built and run at once: two cores, and most of a rehearsal is waiting for a process. */
const CONCURRENCY = 3;
/** How long an idle app may take to exit on SIGTERM: a bound for one that never does. */
const STOP_BOUND_MS = 60_000;

const runAs = nonRootUser();
const prefix = uniquePrefix('image');
const sim = new LlmSimulator();
let scratch: string;
let database: TestDatabase;
let simUrl: string;

interface Outcome {
  image: ImageFolder;
  /** What the image held, looked at before its folder was deleted. */
  mainJs: string;
  devDependencies: string[];
  notInstalled: string[];
  /** The API image only: its migration CLI run against an empty database, and the tables then. */
  migration?: { run: { code: number | null; output: string }; tablesBefore: string[]; tablesAfter: string[] };
  /** The app's user id while it ran. */
  uid: number;
  healthcheck: { code: number | null; output: string };
  exitCode: number | string | null;
  /** The HEALTHCHECK once the app is gone: it must fail then, or it proves nothing. */
  healthcheckAfterStop: number | null;
  timings: { buildMs: number; healthyMs: number; stopMs: number };
}

/** Runs the image's migration CLI against a new empty database; the public tables before and after. */
async function migrateEmptyDatabase(image: ImageFolder): Promise<Outcome['migration']> {
  const empty = await createEmptyDatabase();
  const client = new Client({ connectionString: empty.url });
  const tables = async () =>
    (await client.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' order by 1")).rows.map(
      (r) => r.table_name,
    );
  try {
    await client.connect();
    const tablesBefore = await tables();
    const run = runInImage(image, ['node', 'packages/db/dist/cli/migrate.js'], { DATABASE_URL: empty.url }, runAs);
    return { run, tablesBefore, tablesAfter: await tables() };
  } finally {
    await client.end();
    await empty.drop();
  }
}

/** Builds one image folder (scratch/<name>), starts it, checks it, stops it and deletes the folder. */
async function rehearse(app: string, name = app, options: BuildOptions = {}): Promise<Outcome> {
  const folder = path.join(scratch, name);
  try {
    return await buildAndRun(app, folder, options);
  } finally {
    await fs.promises.rm(folder, { recursive: true, force: true });
  }
}

async function buildAndRun(app: string, folder: string, options: BuildOptions): Promise<Outcome> {
  const started = Date.now();
  const image = await buildImageFolder(DOCKERFILE, app, folder, options);
  const buildMs = Date.now() - started;
  const held = {
    mainJs: fs.readFileSync(path.join(image.dir, 'main.js'), 'utf8'),
    devDependencies: devDependenciesInImage(image),
    notInstalled: packagesNotInstalled(image),
  };
  const entry = app === 'sim' ? SIM : appEntry(app as (typeof APPS)[number]);
  const port = await freePort();
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    BULLMQ_PREFIX: prefix,
    OPENROUTER_BASE_URL: simUrl,
    OPENROUTER_API_KEY: 'sk-sim',
    [entry.portVariable]: String(port),
  };
  const proc = startImage(image, env, runAs);
  let uid: number;
  let healthcheck: Outcome['healthcheck'];
  try {
    await waitUntilServing(proc, `http://127.0.0.1:${port}${entry.healthPath}`, `${app} (image)`, STARTUP_TIMEOUT_MS);
    uid = uidOf(proc.child.pid!);
    healthcheck = runInImage(image, image.healthcheck, env, runAs);
  } catch (error) {
    await proc.stop('SIGKILL');
    throw error;
  }
  const healthy = Date.now();
  const exitCode = await proc.stop('SIGTERM', STOP_BOUND_MS);
  const stopMs = Date.now() - healthy;
  const healthcheckAfterStop = runInImage(image, image.healthcheck, env, runAs).code;
  const migration = app === 'api' ? await migrateEmptyDatabase(image) : undefined;
  return { image, ...held, migration, uid, healthcheck, exitCode, healthcheckAfterStop, timings: { buildMs, healthyMs: healthy - started - buildMs, stopMs } };
}

/** Runs fns with at most n at once. */
function limited(n: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

const outcomes = new Map<string, Promise<Outcome>>();

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-images-'));
  fs.chmodSync(scratch, 0o755); // the apps' user must reach its image folders
  simUrl = await sim.listen();
  database = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const limit = limited(CONCURRENCY);
  for (const app of IMAGES) {
    const outcome = limit(() => rehearse(app));
    outcome.catch(() => undefined); // reported by the app's own test below
    outcomes.set(app, outcome);
  }
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(outcomes.values());
  const lines = await Promise.all(
    [...outcomes].map(async ([app, o]) => {
      const t = await o.then((x) => x.timings).catch(() => undefined);
      return t ? `${app}: built in ${t.buildMs} ms, healthy ${t.healthyMs} ms later, stopped in ${t.stopMs} ms` : `${app}: failed`;
    }),
  );
  process.stderr.write(`image rehearsals:\n  ${lines.join('\n  ')}\n`);
  await sim.close();
  await deleteKeysWithPrefix(prefix).catch(() => undefined);
  await database?.drop().catch(() => undefined);
  if (scratch) await fs.promises.rm(scratch, { recursive: true, force: true });
}, 600_000);

describe('every image, built by the Dockerfile’s steps without Docker', () => {
  it.each(IMAGES)(
    '%s: pruned, installed for production only, started as a non-root user, healthy by its HEALTHCHECK, exits 0 on SIGTERM',
    async (app) => {
      const outcome = await outcomes.get(app)!;
      expect(outcome.image.user).not.toBe('root');
      if (runAs) expect(outcome.uid).toBe(runAs.uid);
      expect(outcome.mainJs).toContain(app === 'sim' ? 'packages/sim/dist/main.js' : `apps/${app}/dist/main.js`);
      expect(outcome.devDependencies).toEqual([]);
      expect(outcome.notInstalled).toEqual([]);
      expect(outcome.healthcheck).toEqual({ code: 0, output: '' });
      expect(outcome.exitCode).toBe(0);
      expect(outcome.healthcheckAfterStop).toBe(1);
    },
    600_000,
  );

  it('the API image migrates an empty database with its migration CLI', async () => {
    const { migration } = await outcomes.get('api')!;
    expect(migration!.tablesBefore).toEqual([]);
    expect(migration!.run).toEqual({ code: 0, output: 'migrations: up to date\n' });
    expect(migration!.tablesAfter).toEqual(expect.arrayContaining(['tasks', 'tenants', 'api_keys', 'schedules', 'dead_letters']));
  }, 600_000);
});

/** Moves dep of the pruned workspace package pkg from dependencies to devDependencies, in its package.json files and the pruned lockfiles. */
function declareForDevelopmentOnly(folder: (imagePath: string) => string, pkg: string, dep: string): void {
  for (const file of [`/pruned/json/${pkg}/package.json`, `/pruned/full/${pkg}/package.json`]) {
    const manifest = JSON.parse(fs.readFileSync(folder(file), 'utf8'));
    manifest.devDependencies = { ...manifest.devDependencies, [dep]: manifest.dependencies[dep] };
    delete manifest.dependencies[dep];
    fs.writeFileSync(folder(file), JSON.stringify(manifest, null, 2));
  }
  for (const file of ['/pruned/pnpm-lock.yaml', '/pruned/json/pnpm-lock.yaml']) {
    // pnpm 12's lockfile is two YAML documents (pnpm itself, then the workspace's packages).
    const documents = parseAllDocuments(fs.readFileSync(folder(file), 'utf8')).map((d) => d.toJS());
    const importer = documents.at(-1).importers[pkg];
    importer.devDependencies = { ...importer.devDependencies, [dep]: importer.dependencies[dep] };
    delete importer.dependencies[dep];
    fs.writeFileSync(folder(file), documents.map((d) => `---\n${stringify(d)}`).join(''));
  }
}

describe('the rehearsal fails where the image would', () => {
  it('a package that needs a dependency at run time but declares it for development only: the app does not start, and the failure names it', async () => {
    const options: BuildOptions = {
      afterRun: ({ command, folder }) => {
        if (/turbo prune/.test(command)) declareForDevelopmentOnly(folder, 'packages/observability', 'winston');
      },
    };
    await expect(rehearse('worker-scraping', 'winston-for-development-only', options)).rejects.toThrow(
      /worker-scraping \(image\) exited \(1\) before serving \/healthz[\s\S]*Cannot find module 'winston'/,
    );
  }, 300_000);

  it.each([
    [
      'an instruction the rehearsal does not know',
      (d: string) => d.replace('WORKDIR /repo', 'WORKDIR /repo\nVOLUME /data'),
      /VOLUME is an instruction this rehearsal does not know/,
    ],
    ['another turbo than the workspace’s', (d: string) => d.replace(/turbo@[\d.]+/, 'turbo@1.0.0'), /installs turbo@1\.0\.0; the workspace runs turbo/],
    [
      'a COPY of something prune does not produce',
      (d: string) => d.replace('/pruned/json/ .', '/pruned/jsn/ .'),
      /\/pruned\/jsn\/ is not produced by stage pruner/,
    ],
    [
      'a prune of another app',
      (d: string) => d.replace('turbo prune "@conveyor/${APP}"', 'turbo prune "@conveyor/api"'),
      /apps\/worker-scraping is not in the pruned folder/,
    ],
    [
      'an entry point that does not exist',
      (d: string) => d.replace('main="apps/${APP}/dist/main.js"', 'main="apps/${APP}/main.js"'),
      /RUN if \[ "\$APP" = sim \][\s\S]*failed/,
    ],
  ])(
    'a Dockerfile with %s fails the rehearsal',
    async (_what, change, expected) => {
      await expect(buildImageFolder(change(DOCKERFILE), 'worker-scraping', fs.mkdtempSync(path.join(scratch, 'drift-')))).rejects.toThrow(expected);
    },
    120_000,
  );

  it('a Dockerfile whose last install is not for production leaves development dependencies in the image, and the check finds them', async () => {
    const changed = DOCKERFILE.replace('pnpm install --prod --frozen-lockfile', 'pnpm install --frozen-lockfile');
    expect(changed).not.toBe(DOCKERFILE);
    const image = await buildImageFolder(changed, 'worker-scraping', fs.mkdtempSync(path.join(scratch, 'not-for-production-')));
    expect(devDependenciesInImage(image)).toEqual(expect.arrayContaining(['.: jest']));
  }, 120_000);

  it('a Dockerfile whose production install goes over the full one is refused, and leaves development packages in the image', async () => {
    const changed = DOCKERFILE.replace('find . -type d -name node_modules -prune -exec rm -rf {} + \\\n  && ', '');
    expect(changed).not.toBe(DOCKERFILE);
    await expect(buildImageFolder(changed, 'worker-scraping', fs.mkdtempSync(path.join(scratch, 'over-full-')))).rejects.toThrow(
      /goes over the build's full install/,
    );
    // Done as the image does it (the full install too): typescript, jest, eslint… stay in node_modules/.pnpm.
    const image = await buildImageFolder(changed, 'worker-scraping', fs.mkdtempSync(path.join(scratch, 'over-full-')), { buildInstall: true });
    expect(packagesNotInstalled(image)).toEqual(expect.arrayContaining([expect.stringMatching(/^typescript@/), expect.stringMatching(/^jest@/)]));
  }, 120_000);
});
