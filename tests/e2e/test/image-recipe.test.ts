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
  waitFor,
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
// the image's HEALTHCHECK, and exits 0 on SIGTERM. The `sim` image is started once for each
// simulator it serves (SIMULATOR=llm, x).

const DOCKERFILE = fs.readFileSync(path.join(REPO_ROOT, 'infra', 'docker', 'Dockerfile'), 'utf8');
/** The simulators of the `sim` image, by SIMULATOR: entry, port and health path, as sim-main.cjs and healthcheck.mjs read them. */
const SIMULATORS = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'infra', 'docker', 'simulators.json'), 'utf8')) as Record<
  string,
  { entry: string; portVariable: string; healthPath: string }
>;
const IMAGES = [...APPS, 'sim'] as const;
/** One start of an image: what the tests call it, and what it is given besides the common variables. */
interface Run {
  name: string;
  simulator?: string;
}
/** The starts of each image: the `sim` image once per simulator, every app once. */
const runsOf = (app: string): Run[] => (app === 'sim' ? Object.keys(SIMULATORS).map((s) => ({ name: `sim SIMULATOR=${s}`, simulator: s })) : [{ name: app }]);
const RUNS = IMAGES.flatMap(runsOf);
/** Images built and run at once: two cores, and most of a rehearsal is waiting for a process. */
const CONCURRENCY = 4;
/** How long an idle app may take to exit on SIGTERM: a bound for one that never does. */
const STOP_BOUND_MS = 60_000;

const runAs = nonRootUser();
const prefix = uniquePrefix('image');
const sim = new LlmSimulator();
let scratch: string;
let database: TestDatabase;
let simUrl: string;

interface Outcome {
  run: Run;
  image: ImageFolder;
  /** What the image held, looked at before its folder was deleted. */
  mainJs: string;
  devDependencies: string[];
  notInstalled: string[];
  /** Status of GET /readyz (Postgres and Redis reached from the image), and for the API the pages served from its packages' files. */
  statuses: Record<string, number>;
  /** The API image only: its migration CLI run against an empty database, and the tables then. */
  migration?: { run: { code: number | null; output: string }; tablesBefore: string[]; tablesAfter: string[] };
  /** The app's user id while it ran. */
  uid: number;
  healthcheck: { code: number | null; output: string };
  exitCode: number | string | null;
  /** The HEALTHCHECK once the app is gone: it must fail then, or it proves nothing. */
  healthcheckAfterStop: number | null;
  /** The `sim` image only: its entry point given an unknown SIMULATOR. */
  unknownSimulator?: { code: number | null; output: string };
  timings: { buildMs: number; healthyMs: number; stopMs: number };
}

/**
 * GET /readyz once it answers 200 (within the start-up bound), and for the API the pages whose
 * files come from its dependencies at request time: Swagger UI's assets and the queue
 * dashboard, signed in with an admin key made by the image's own tenant CLI.
 */
async function served(image: ImageFolder, base: string, env: Record<string, string>): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  statuses['/readyz'] = await waitFor(
    async () => {
      const status = (await fetch(`${base}/readyz`)).status;
      return status === 200 ? status : undefined;
    },
    `${image.app} /readyz`,
    STARTUP_TIMEOUT_MS,
  ).catch(async () => (await fetch(`${base}/readyz`)).status);
  if (image.app !== 'api') return statuses;
  const cli = await runInImage(image, ['node', 'packages/db/dist/cli/create-tenant.js', '--admin', '--json'], env, runAs);
  if (cli.code !== 0) throw new Error(`the API image's tenant CLI failed: ${cli.output}`);
  const admin = `Basic ${Buffer.from(`any:${(JSON.parse(cli.output) as { api_key: string }).api_key}`).toString('base64')}`;
  // The console's build (apps/console/dist) is in the API's image: its pages, not the 503 of a missing build.
  for (const page of ['/docs/', '/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/admin/queues', '/console/', '/console/runs']) {
    statuses[page] = (await fetch(`${base}${page}`, { headers: { Authorization: admin } })).status;
  }
  return statuses;
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
    const run = await runInImage(image, ['node', 'packages/db/dist/cli/migrate.js'], { DATABASE_URL: empty.url }, runAs);
    return { run, tablesBefore, tablesAfter: await tables() };
  } finally {
    await client.end();
    await empty.drop();
  }
}

/** Builds one image folder (scratch/<name>), starts it once per run (each checked and stopped), and deletes the folder. */
async function rehearse(app: string, name = app, options: BuildOptions = {}): Promise<Outcome[]> {
  const folder = path.join(scratch, name);
  try {
    const started = Date.now();
    const image = await buildImageFolder(DOCKERFILE, app, folder, options);
    const built = {
      buildMs: Date.now() - started,
      mainJs: fs.readFileSync(path.join(image.dir, 'main.js'), 'utf8'),
      devDependencies: devDependenciesInImage(image),
      notInstalled: packagesNotInstalled(image),
      unknownSimulator: app === 'sim' ? await runInImage(image, image.cmd, { SIMULATOR: 'nope' }, runAs) : undefined,
    };
    const outcomes: Outcome[] = [];
    for (const run of runsOf(app)) outcomes.push(await startAndStop(image, run, built));
    return outcomes;
  } finally {
    await fs.promises.rm(folder, { recursive: true, force: true });
  }
}

type Built = Pick<Outcome, 'mainJs' | 'devDependencies' | 'notInstalled' | 'unknownSimulator'> & { buildMs: number };

async function startAndStop(image: ImageFolder, run: Run, { buildMs, ...held }: Built): Promise<Outcome> {
  const app = image.app;
  const started = Date.now();
  const entry = run.simulator ? SIMULATORS[run.simulator]! : appEntry(app as (typeof APPS)[number]);
  const port = await freePort();
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    BULLMQ_PREFIX: prefix,
    OPENROUTER_BASE_URL: simUrl,
    OPENROUTER_API_KEY: 'sk-sim',
    ...(run.simulator ? { SIMULATOR: run.simulator } : {}),
    [entry.portVariable]: String(port),
  };
  const proc = startImage(image, env, runAs);
  let uid: number;
  let healthcheck: Outcome['healthcheck'];
  let statuses: Outcome['statuses'];
  try {
    await waitUntilServing(proc, `http://127.0.0.1:${port}${entry.healthPath}`, `${run.name} (image)`, STARTUP_TIMEOUT_MS);
    uid = uidOf(proc.child.pid!);
    // As Docker does: unhealthy only after --retries failures in a row, --interval apart (a
    // probe can time out on a busy machine, and three back to back can all fall in one stall).
    for (let tries = 1; ; tries++) {
      healthcheck = await runInImage(image, image.healthcheck, env, runAs);
      if (healthcheck.code === 0 || tries >= image.healthcheckRetries) break;
      await new Promise((resolve) => setTimeout(resolve, image.healthcheckIntervalMs));
    }
    statuses = app === 'sim' ? {} : await served(image, `http://127.0.0.1:${port}`, env);
  } catch (error) {
    await proc.stop('SIGKILL');
    throw error;
  }
  const healthy = Date.now();
  const exitCode = await proc.stop('SIGTERM', STOP_BOUND_MS);
  const stopMs = Date.now() - healthy;
  const healthcheckAfterStop = (await runInImage(image, image.healthcheck, env, runAs)).code;
  const migration = app === 'api' ? await migrateEmptyDatabase(image) : undefined;
  return {
    run,
    image,
    ...held,
    migration,
    statuses,
    uid,
    healthcheck,
    exitCode,
    healthcheckAfterStop,
    timings: { buildMs, healthyMs: healthy - started, stopMs },
  };
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
/** The broken recipes' errors (undefined: it did not fail), and what the not-for-production image held. */
const failures = new Map<string, Promise<unknown>>();

/** When the file started, its set-up ended and every rehearsal had ended (for the summary on stderr). */
const clock = { start: Date.now(), setUp: 0, rehearsed: 0 };

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-images-'));
  fs.chmodSync(scratch, 0o755); // the apps' user must reach its image folders
  simUrl = await sim.listen();
  database = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  clock.setUp = Date.now();
  const limit = limited(CONCURRENCY);
  for (const app of IMAGES) {
    const rehearsal = limit(() => rehearse(app));
    for (const run of runsOf(app)) {
      const outcome = rehearsal.then((all) => all.find((o) => o.run.name === run.name)!);
      outcome.catch(() => undefined); // reported by the run's own test below
      outcomes.set(run.name, outcome);
    }
  }
  // After those, through the same limit: the broken recipes.
  for (const [i, { what, dockerfile = (d: string) => d, options: given, start, emptyPnpmCache }] of BROKEN.entries()) {
    const folder = path.join(scratch, `broken-${i}`);
    const options = emptyPnpmCache ? { ...given, pnpmCacheDir: fs.mkdtempSync(path.join(scratch, 'empty-pnpm-cache-')) } : given;
    const build = async () => {
      if (start) return (await rehearse('worker-scraping', `broken-${i}`, options))[0];
      try {
        return await buildImageFolder(dockerfile(DOCKERFILE), 'worker-scraping', folder, options);
      } finally {
        await fs.promises.rm(folder, { recursive: true, force: true });
      }
    };
    failures.set(
      what,
      limit(build).then(
        () => undefined,
        (error: unknown) => error,
      ),
    );
  }
  failures.set(
    'not for production',
    limit(notForProduction).catch((error: unknown) => error),
  );
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([...outcomes.values(), ...failures.values()]);
  clock.rehearsed = Date.now();
  const lines = await Promise.all(
    [...outcomes].map(async ([app, o]) => {
      const t = await o.then((x) => x.timings).catch(() => undefined);
      return t ? `${app}: built in ${t.buildMs} ms, healthy ${t.healthyMs} ms later, stopped in ${t.stopMs} ms` : `${app}: failed`;
    }),
  );
  await sim.close();
  await deleteKeysWithPrefix(prefix).catch(() => undefined);
  await database?.drop().catch(() => undefined);
  if (scratch) await fs.promises.rm(scratch, { recursive: true, force: true });
  const phases = `set-up ${clock.setUp - clock.start} ms, rehearsals ${clock.rehearsed - clock.setUp} ms, clean-up ${Date.now() - clock.rehearsed} ms`;
  process.stderr.write(`image rehearsals (${phases}):\n  ${lines.join('\n  ')}\n`);
}, 600_000);

describe('every image, built by the Dockerfile’s steps without Docker', () => {
  it.each(RUNS.map((r) => r.name))(
    '%s: pruned, installed for production only, started as a non-root user, healthy by its HEALTHCHECK, exits 0 on SIGTERM',
    async (name) => {
      const outcome = await outcomes.get(name)!;
      const app = outcome.image.app;
      expect(outcome.image.user).not.toBe('root');
      if (runAs) expect(outcome.uid).toBe(runAs.uid);
      expect(outcome.mainJs).toContain(app === 'sim' ? 'infra/docker/sim-main.cjs' : `apps/${app}/dist/main.js`);
      expect(outcome.devDependencies).toEqual([]);
      expect(outcome.notInstalled).toEqual([]);
      expect(outcome.healthcheck).toEqual({ code: 0, output: '' });
      const pages =
        app === 'api'
          ? ['/readyz', '/docs/', '/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/admin/queues', '/console/', '/console/runs']
          : app === 'sim'
            ? []
            : ['/readyz'];
      expect(outcome.statuses).toEqual(Object.fromEntries(pages.map((p) => [p, 200])));
      expect(outcome.exitCode).toBe(0);
      expect(outcome.healthcheckAfterStop).toBe(1);
    },
    600_000,
  );

  it('the sim image refuses a SIMULATOR it does not serve, naming the ones it does', async () => {
    const { unknownSimulator } = await outcomes.get(RUNS.find((r) => r.simulator)!.name)!;
    expect(unknownSimulator).toEqual({
      code: 78,
      output: `sim: SIMULATOR=nope is not a simulator of this image; use one of ${Object.keys(SIMULATORS).join(', ')}\n`,
    });
  }, 600_000);

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

/**
 * Recipes changed the way they break; each builds worker-scraping's image (the smallest) and must fail, saying why.
 * emptyPnpmCache: the installs get an empty pnpm metadata cache instead of the one setup fills.
 */
const BROKEN: { what: string; dockerfile?: (d: string) => string; options?: BuildOptions; start?: boolean; emptyPnpmCache?: boolean; expected: RegExp }[] = [
  {
    what: 'a package that needs a dependency at run time but declares it for development only: the app does not start, and the failure names it',
    options: {
      afterRun: ({ command, folder }) => void (/turbo prune/.test(command) && declareForDevelopmentOnly(folder, 'packages/observability', 'winston')),
    },
    start: true,
    expected: /worker-scraping \(image\) exited \(1\) before serving \/healthz[\s\S]*Cannot find module 'winston'/,
  },
  {
    what: 'a Dockerfile with an instruction the rehearsal does not know',
    dockerfile: (d) => d.replace('WORKDIR /repo', 'WORKDIR /repo\nVOLUME /data'),
    expected: /VOLUME is an instruction this rehearsal does not know/,
  },
  {
    what: 'a Dockerfile with another turbo than the workspace’s',
    dockerfile: (d) => d.replace(/turbo@[\d.]+/, 'turbo@1.0.0'),
    expected: /installs turbo@1\.0\.0; the workspace runs turbo/,
  },
  {
    what: 'a Dockerfile with a COPY of something prune does not produce',
    dockerfile: (d) => d.replace('/pruned/json/ .', '/pruned/jsn/ .'),
    expected: /\/pruned\/jsn\/ is not produced by stage pruner/,
  },
  {
    what: 'a Dockerfile with a prune of another app',
    dockerfile: (d) => d.replace('turbo prune "@conveyor/${APP}"', 'turbo prune "@conveyor/api"'),
    expected: /apps\/worker-scraping is not in the pruned folder/,
  },
  {
    what: 'a Dockerfile with an entry point that does not exist',
    dockerfile: (d) => d.replace('main="apps/${APP}/dist/main.js"', 'main="apps/${APP}/main.js"'),
    expected: /RUN if \[ "\$APP" = sim \][\s\S]*failed/,
  },
  {
    what: 'a Dockerfile whose production install goes over the full one',
    dockerfile: (d) => d.replace('find . -type d -name node_modules -prune -exec rm -rf {} + \\\n  && ', ''),
    expected: /goes over the build's full install: the development dependencies' files would stay in node_modules\/\.pnpm/,
  },
  {
    // The offline install still checks the pruned lockfile against pnpm's supply-chain policies
    // (nothing here turns them off), and says where the metadata it lacks should come from.
    what: 'an offline install without the packages’ full metadata in its pnpm cache: the supply-chain check refuses it, and the failure says how to fill the cache',
    emptyPnpmCache: true,
    expected: /ERR_PNPM_NO_OFFLINE_META[\s\S]*comes from [^\n]*empty-pnpm-cache-[^\n]*: run npm run setup after the lockfile changes/,
  },
  {
    what: 'a .dockerignore that leaves out a file the app reads',
    options: { dockerignore: `${fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')}**/*.json\n!**/package.json\n` },
    expected: /\.dockerignore leaves out of the build context [^\n]*packages\/config\/src\/apps\.json \(\*\*\/\*\.json\)/,
  },
];

/** What a Dockerfile whose last install is not for production leaves in the image, as the two checks see it. */
async function notForProduction(): Promise<{ devDependencies: string[]; notInstalled: string[] }> {
  const changed = DOCKERFILE.replace('pnpm install --prod --frozen-lockfile', 'pnpm install --frozen-lockfile');
  if (changed === DOCKERFILE) throw new Error('the Dockerfile has no `pnpm install --prod --frozen-lockfile` to change');
  const folder = path.join(scratch, 'not-for-production');
  try {
    const image = await buildImageFolder(changed, 'worker-scraping', folder);
    // What an install over a full one would leave (the recipe refuses that before it happens; see BROKEN).
    fs.mkdirSync(path.join(image.dir, 'node_modules', '.pnpm', 'left-over@1.0.0'));
    return { devDependencies: devDependenciesInImage(image), notInstalled: packagesNotInstalled(image) };
  } finally {
    await fs.promises.rm(folder, { recursive: true, force: true });
  }
}

describe('the rehearsal fails where the image would', () => {
  it.each(BROKEN.map((b) => [b.what, b] as const))(
    '%s',
    async (what, { expected }) => {
      const error = (await failures.get(what)) as Error | undefined;
      expect(error?.message ?? 'it did not fail').toMatch(expected);
    },
    600_000,
  );

  it('a Dockerfile whose last install is not for production leaves development dependencies in the image, and the checks find them', async () => {
    const found = await failures.get('not for production');
    expect(found).toEqual({
      devDependencies: expect.arrayContaining(['.: jest', 'packages/db: @conveyor/testkit']),
      notInstalled: ['left-over@1.0.0'],
    });
  }, 600_000);
});
