#!/usr/bin/env node
// The two commands of the README, on a machine with only Node.js and npm:
//   npm start  → node scripts/stack.mjs up     set up, then run every app until Ctrl-C
//   npm test   → node scripts/stack.mjs test   set up, then run every check and test
// `setup` does the shared part alone. This file uses nothing outside Node.js itself until
// pnpm has installed the workspace.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APPS, DATA_SIM, LLM_SIM, X_SIM, portOf, portsOf, startApps } from './lib/apps.mjs';
import { ensureChromium } from './lib/browser.mjs';
import { devSecrets, ingestionPlan } from './lib/ingestion.mjs';
import { ensurePgbouncer } from './lib/pgbouncer.mjs';
import { beginTestRun, ensureDatabase, keyIsValid } from './lib/database.mjs';
import { adminUrlOf, stackEnv, startEnv } from './lib/env.mjs';
import { ensureKubectl } from './lib/kubectl.mjs';
import { ensurePnpm, installAndBuild } from './lib/pnpm.mjs';
import { portProblems } from './lib/ports.mjs';
import { ensureRedisTools } from './lib/redis-tools.mjs';
import { xApiPlan } from './lib/x-api.mjs';
import { capture, run, stream } from './lib/run.mjs';
import { bold, dim, fail, green, red, step } from './lib/say.mjs';
import { ensurePostgres, ensureRedis } from './lib/services.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2] ?? 'up';

/** pnpm, dependencies, build, Redis and Postgres: what both commands need. */
async function setup(env) {
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 20) fail(`Node.js 20 or newer is needed; this is ${process.version}`);
  const pnpm = ensurePnpm(root);
  env.PATH = process.env.PATH; // a project-local pnpm is now on it, for turbo in the children
  installAndBuild(root, pnpm);
  const redis = await ensureRedis(root, env.REDIS_URL);
  const postgres = await ensurePostgres(root, env.DATABASE_URL);
  return { pnpm, services: [redis, postgres] };
}

async function stopServices(services) {
  for (const service of services) if (service.started) await service.stop().catch((e) => console.error(red(String(e))));
}

/** A development API key: made once, kept in .local/<name>.json (git-ignored). */
function devKey(env, name, args, what) {
  const file = path.join(root, '.local', `${name}.json`);
  return (async () => {
    if (fs.existsSync(file)) {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (await keyIsValid(root, env.DATABASE_URL, saved.api_key)) return saved;
    }
    step(`creating ${what}`);
    const out = capture(process.execPath, [path.join(root, 'packages/db/dist/cli/create-tenant.js'), ...args, '--json'], { env });
    if (!out) throw new Error(`could not create ${what}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, out + '\n', { mode: 0o600 });
    return JSON.parse(out);
  })();
}

/**
 * Waits (up to 30 s) until every started app answers 200 on its health path; says which did
 * not. Resolves to the apps that exited meanwhile (a port taken after all, a bad setting).
 */
async function waitForHealth(started, env) {
  const deadline = Date.now() + 30_000;
  const urlOf = ({ app }) => `http://127.0.0.1:${portOf(app, env)}${app.healthPath}`;
  const gone = ({ child }) => child.exitCode !== null || child.signalCode !== null;
  let pending = started.children;
  while (pending.length && Date.now() < deadline) {
    const results = await Promise.all(
      pending.map((c) =>
        fetch(urlOf(c)).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    pending = pending.filter((c, i) => !results[i] && !gone(c));
    if (pending.length) await new Promise((r) => setTimeout(r, 250));
  }
  if (pending.length) console.log(red(`not healthy after 30 s: ${pending.map(urlOf).join(', ')} (see the logs above)`));
  return started.children.filter(gone).map(({ app }) => app.name);
}

/**
 * Every port the stack is about to listen on must be free on HOST, where the apps bind:
 * otherwise say which port, what wanted it and which variable moves it, and stop before
 * starting anything (or, after setup, after stopping what setup started).
 */
async function checkPorts(env, simulators, services = []) {
  const problems = await portProblems(portsOf([...simulators, ...APPS], env), env.HOST || '127.0.0.1');
  if (!problems.length) return;
  await stopServices(services);
  fail(`cannot start the stack:\n  ${problems.join('\n  ')}`);
}

async function up() {
  const env = startEnv(root);
  // Without a provider key, LLM calls go to the simulator (see below).
  const simulated = !env.OPENROUTER_API_KEY;
  // Without X_API_BASE_URL, X calls go to the X API simulator; the publishing worker alone gets
  // its address, X_DRY_RUN=false and the development account's token (scripts/lib/x-api.mjs).
  const x = xApiPlan(env);
  // Without source URLs, ingestion goes to the data-source simulator; the scraping worker alone
  // gets its address and keys (scripts/lib/ingestion.mjs).
  const ingestion = ingestionPlan(env);
  const simulators = [...(simulated ? [LLM_SIM] : []), ...(x.simulated ? [X_SIM] : []), ...(ingestion.simulated ? [DATA_SIM] : [])];
  // First, before installing, building or starting anything; again once setup is done.
  await checkPorts(env, simulators);
  const { services } = await setup(env);
  step('preparing the database');
  await ensureDatabase(root, env.DATABASE_URL);
  run(process.execPath, [path.join(root, 'packages/db/dist/cli/migrate.js')], { env });
  const tenant = await devKey(env, 'dev-tenant', ['--name', 'dev', '--plan', 'growth'], 'the development tenant "dev" (plan growth)');
  const admin = await devKey(env, 'dev-admin', ['--admin'], 'a development admin key');

  await checkPorts(env, simulators, services);

  // The simulators are started first, so that the LLM workers' start-up check of their models finds theirs.
  let sim;
  if (simulated) {
    const simUrl = `http://127.0.0.1:${portOf(LLM_SIM, env)}`;
    step(`no OPENROUTER_API_KEY: LLM calls go to the local simulator at ${simUrl}/v1`);
    Object.assign(env, { OPENROUTER_BASE_URL: `${simUrl}/v1`, OPENROUTER_API_KEY: 'sk-local-simulator' });
  }
  if (x.step) step(x.step);
  if (ingestion.step) step(ingestion.step);
  const scrapingEnv = ingestion.simulated ? { ...ingestion.scrapingEnv, ...devSecrets(root) } : ingestion.scrapingEnv;
  if (simulators.length) {
    sim = startApps(root, env, simulators);
    const exited = await waitForHealth(sim, env);
    if (exited.length) {
      await sim.stop();
      await stopServices(services);
      fail(`${exited.join(', ')} exited while starting (see the lines above); nothing else was started`);
    }
  }

  step('starting every app');
  const apps = startApps(root, env, APPS, { 'worker-publishing': x.publishingEnv, 'worker-scraping': scrapingEnv });
  const api = `http://127.0.0.1:${portOf(APPS[0], env)}`;
  const exited = await waitForHealth(apps, env);
  if (exited.length) {
    await apps.stop();
    if (sim) await sim.stop();
    await stopServices(services);
    fail(`${exited.join(', ')} exited while starting (see the lines above); everything was stopped`);
  }
  console.log(`
${bold('Conveyor is running.')}
  API            ${api}/api/v1   ${dim(`(reference: ${api}/docs)`)}
  console        ${api}/console/   ${dim('(sign in with the dev API key, or the admin key to see every tenant)')}
  health         ${api}/readyz · metrics ${api}/metrics
  workers        ${APPS.slice(1)
    .map((a) => `${a.name} :${portOf(a, env)}`)
    .join(' · ')}
  dev API key    ${tenant.api_key}   ${dim('(tenant "dev"; kept in .local/dev-tenant.json)')}
  queues         ${api}/admin/queues   ${dim('(sign in with any user name and the admin key as password)')}
  dead letters   ${api}/admin/dead-letters   ${dim('(same sign-in; replay one or all)')}
  admin key      ${admin.api_key}   ${dim('(kept in .local/dev-admin.json)')}
  LLM provider   ${simulated ? `the local simulator (${env.OPENROUTER_BASE_URL}); set OPENROUTER_API_KEY for OpenRouter` : (env.OPENROUTER_BASE_URL ?? 'OpenRouter')}
${[...x.lines, ...ingestion.lines].map(([label, text]) => `  ${label.padEnd(15)}${text}`).join('\n')}

  Try it:
    curl -s -X POST '${api}/api/v1/tasks/test?message=Hello' -H 'Authorization: Bearer ${tenant.api_key}'
    curl -s ${api}/api/v1/tasks/<task_id> -H 'Authorization: Bearer ${tenant.api_key}'
    curl -s -X POST ${api}/api/v1/tasks -H 'Authorization: Bearer ${tenant.api_key}' -H 'Content-Type: application/json' \\
         -d '{"task":"generate_draft","payload":{"brief":"Announce our launch"}}'
    curl -s -X POST ${api}/api/v1/ingestion/fred/run -H 'Authorization: Bearer ${admin.api_key}' -H 'Content-Type: application/json' -d '{}'
    curl -s '${api}/api/v1/ingestion/runs?source=fred' -H 'Authorization: Bearer ${admin.api_key}'${
      x.account
        ? `
    curl -s -X POST ${api}/api/v1/x-accounts -H 'Authorization: Bearer ${tenant.api_key}' -H 'Content-Type: application/json' \\
         -d '${JSON.stringify(x.account)}'`
        : ''
    }

  Or with the CLI (packages/cli), in another terminal:
    export CONVEYOR_BASE_URL=${api} CONVEYOR_API_KEY=${tenant.api_key}
    npm run conveyor -- tasks submit test_task --payload '{"message":"Hello","steps":5}' --wait

  Ctrl-C stops everything.
`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await apps.stop();
    if (sim) await sim.stop();
    await stopServices(services);
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // If an app dies on its own, say so; the others keep running so its logs stay readable.
  for (const { app, exited } of apps.children) exited.then((code) => !stopping && console.log(red(`${app.name} stopped (${code}); Ctrl-C to stop the rest`)));
}

const TESTS_LINE = /Tests:\s+(?:(\d+) failed, )?(?:(\d+) skipped, )?(?:(\d+) todo, )?(?:(\d+) passed, )?(\d+) total/;

async function test() {
  const env = { ...stackEnv(root), CI: process.env.CI ?? 'true' };
  ensureRedisTools();
  const { pnpm, services } = await setup(env);
  const chromium = ensureChromium(env);
  const kubectl = ensureKubectl(env);
  const testEnv = {
    ...env,
    TEST_DATABASE_URL: env.TEST_DATABASE_URL ?? adminUrlOf(env.DATABASE_URL),
    TEST_REDIS_URL: env.TEST_REDIS_URL ?? env.REDIS_URL,
    CHROMIUM_PATH: chromium,
    KUBECTL_PATH: kubectl,
    PGBOUNCER_PATH: ensurePgbouncer(env),
  };
  // Other runs (another worktree's npm test) may share this server: this run marks itself, and
  // drops what earlier runs left only when none is going.
  const testRun = await beginTestRun(root, testEnv.TEST_DATABASE_URL);
  if (testRun.dropped) step(`dropped ${testRun.dropped} test databases left by earlier runs`);
  if (testRun.concurrent) step('another test run is using this Postgres: databases left by earlier runs stay until a run has it to itself');

  // format:check (Prettier) and knip (dead exports, unused dependencies) are root tasks of turbo.json.
  step('lint, typecheck, every test, formatting and dead code (turbo run lint typecheck test format:check knip)');
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const code = await stream(
    pnpm,
    ['exec', 'turbo', 'run', 'lint', 'typecheck', 'test', 'format:check', 'knip', '--continue', '--concurrency=3'],
    { cwd: root, env: testEnv },
    (line) => {
      console.log(line);
      const match = TESTS_LINE.exec(line);
      if (match) {
        totals.failed += Number(match[1] ?? 0);
        totals.skipped += Number(match[2] ?? 0);
        totals.passed += Number(match[4] ?? 0);
      }
    },
  );
  await testRun.end();
  await stopServices(services);
  console.log(`\n${code === 0 ? green('all checks passed') : red(`checks failed (turbo exited ${code})`)}`);
  console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
  process.exit(code === 0 && totals.failed === 0 ? 0 : 1);
}

const modes = {
  up,
  test,
  setup: async () => {
    const env = stackEnv(root);
    const { services } = await setup(env);
    await ensureDatabase(root, env.DATABASE_URL);
    run(process.execPath, [path.join(root, 'packages/db/dist/cli/migrate.js')], { env });
    if (services.some((s) => s.started)) console.log(dim('Redis/Postgres were started and keep running; stop them yourself when done.'));
  },
};

if (!modes[mode]) fail(`unknown mode "${mode}": use up, test or setup`);
modes[mode]().catch((error) => fail(error instanceof Error ? error.message : String(error)));
