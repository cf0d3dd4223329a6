import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parseEnv, xApiEnvSchema } from '@conveyor/config';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { DEV_X_ACCOUNT } from '@conveyor/sim';
import { AppStack, REPO_ROOT, type RunningProcess, STARTUP_TIMEOUT_MS, freePort, startNode, waitFor, waitUntilServing } from '@conveyor/testkit';
import type { Conveyor } from '@conveyor/client';
import { type Json, clientOf } from './support';

// What `npm start` does about X (scripts/lib/x-api.mjs, used by scripts/stack.mjs up): run by
// Node on the environment npm start builds (scripts/lib/env.mjs startEnv: .env, then the
// shell), without starting the stack; then the publishing worker run with what it is given,
// against the X simulator npm start runs, publishes as the printed account.

interface Plan {
  simulated: boolean;
  publishingEnv: Record<string, string>;
  dryRun: boolean;
  step?: string;
  lines: [string, string][];
  account?: { handle: string; api_tier: string; token_secret_ref: string };
}

const lib = (file: string) => pathToFileURL(path.join(REPO_ROOT, 'scripts', 'lib', file)).href;

/** xApiPlan(startEnv(root)) in a Node process of its own, with `dotEnv` as root's .env and `shell` as its only other variables. */
async function planOf(shell: Record<string, string>, dotEnv = ''): Promise<Plan> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-x-'));
  try {
    fs.writeFileSync(path.join(root, '.env'), dotEnv);
    const script = `const { startEnv } = await import(${JSON.stringify(lib('env.mjs'))});
const { xApiPlan } = await import(${JSON.stringify(lib('x-api.mjs'))});
const env = startEnv(${JSON.stringify(root)});
process.stdout.write(JSON.stringify({ plan: xApiPlan(env), env }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', ...shell } });
    const { plan, env } = JSON.parse(stdout) as { plan: Plan; env: Record<string, string> };
    // The worker decides dry run by its own schema: the plan must say what the worker will do.
    expect(plan.dryRun).toBe(parseEnv(xApiEnvSchema, { ...env, ...plan.publishingEnv }).X_DRY_RUN);
    return plan;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const example = fs.readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
const line = (plan: Plan, label: string) => plan.lines.find(([l]) => l === label)?.[1];

describe('npm start and X', () => {
  it('with .env.example as .env, runs the X simulator and gives the publishing worker its address, X_DRY_RUN=false and the dev token, naming the account to register', async () => {
    const port = await freePort();
    const plan = await planOf({ X_SIM_PORT: String(port) }, example);
    const simUrl = `http://127.0.0.1:${port}`;
    expect(plan).toMatchObject({
      simulated: true,
      dryRun: false,
      publishingEnv: { X_API_BASE_URL: simUrl, X_DRY_RUN: 'false', X_TOKEN_DEV: DEV_X_ACCOUNT.token },
      account: { handle: DEV_X_ACCOUNT.username, api_tier: DEV_X_ACCOUNT.tier, token_secret_ref: 'env:X_TOKEN_DEV' },
    });
    expect(plan.step).toBe(`no X_API_BASE_URL: X calls go to the local X API simulator at ${simUrl}, posts are sent to it (X_DRY_RUN=false)`);
    expect(line(plan, 'X API')).toBe(`the local X API simulator (${simUrl}), posts are sent to it (X_DRY_RUN=false); set X_API_BASE_URL for X`);
    expect(line(plan, 'X account')).toContain(`handle ${DEV_X_ACCOUNT.username}, api_tier ${DEV_X_ACCOUNT.tier}, token_secret_ref env:X_TOKEN_DEV`);
    // The token is given, never printed.
    expect(JSON.stringify(plan.lines)).not.toContain(DEV_X_ACCOUNT.token);
  });

  it('keeps an X_DRY_RUN=true of the user against the simulator, and says so', async () => {
    const plan = await planOf({ X_DRY_RUN: 'true' });
    expect(plan).toMatchObject({ simulated: true, dryRun: true, publishingEnv: { X_DRY_RUN: 'true' } });
    expect(line(plan, 'X API')).toContain('dry run (X_DRY_RUN=true): nothing is sent to it');
  });

  it('with X_SIM_ACCOUNTS, names those accounts and gives no dev token', async () => {
    const accounts = [{ token: 't-1', id: '42', username: 'acme', tier: 'pro' }];
    const plan = await planOf({ X_SIM_ACCOUNTS: JSON.stringify(accounts) });
    expect(plan.publishingEnv).toEqual({ X_API_BASE_URL: expect.any(String), X_DRY_RUN: 'false' });
    expect(plan.account).toBeUndefined();
    expect(line(plan, 'X accounts')).toMatch(/^@acme \(pro\) of X_SIM_ACCOUNTS: put each token in a variable/);
    expect(JSON.stringify(plan.lines)).not.toContain('t-1');
  });

  it('with X_API_BASE_URL set, adds nothing and says dry run (development) or real X', async () => {
    const dry = await planOf({ X_API_BASE_URL: 'https://api.x.com' });
    expect(dry).toMatchObject({ simulated: false, dryRun: true, publishingEnv: {} });
    expect(dry.step).toBeUndefined();
    expect(line(dry, 'X API')).toBe('https://api.x.com, dry run: nothing is sent, posts get dryrun-… ids (X_DRY_RUN=false to publish)');
    const real = await planOf({}, 'X_API_BASE_URL=https://api.x.com   # from .env\nX_DRY_RUN=false\n');
    expect(real).toMatchObject({ simulated: false, dryRun: false });
    expect(line(real, 'X API')).toBe('https://api.x.com, publishing for real: posts go out on X (X_DRY_RUN=true for a dry run)');
    // NODE_ENV=production without X_DRY_RUN: real, as the worker's schema decides.
    expect(await planOf({ X_API_BASE_URL: 'https://api.x.com', NODE_ENV: 'production' })).toMatchObject({ dryRun: false });
  });
});

describe('the publishing worker as npm start runs it', () => {
  let x: RunningProcess;
  let stack: AppStack;
  let plan: Plan;
  let conveyor: Conveyor;
  let simUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    plan = await planOf({ X_SIM_PORT: String(port) }, example);
    simUrl = plan.publishingEnv.X_API_BASE_URL!;
    // The script npm start runs for X (X_SIM in scripts/lib/apps.mjs), on its own port.
    x = startNode(path.join(REPO_ROOT, 'packages', 'sim', 'dist', 'x-main.js'), { X_SIM_PORT: String(port), HOST: '127.0.0.1' }, 'x-sim');
    await waitUntilServing(x, `${simUrl}/_sim/health`, 'x-sim', STARTUP_TIMEOUT_MS);
    stack = await AppStack.create({ template: { key: schemaFingerprint(), migrate: migrateUrl } });
    const apiPort = await freePort();
    await Promise.all([
      stack.start('api', apiPort),
      // Development, as under npm start: dry run unless X_DRY_RUN says otherwise.
      stack.start('worker-publishing', await freePort(), { NODE_ENV: 'development', ...plan.publishingEnv }),
    ]);
    conveyor = clientOf(apiPort, (await stack.createTenant('dev', 'growth')).api_key);
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
    await x?.stop('SIGTERM');
  }, 30_000);

  it('publishes to the simulator as the account it names, its token read from env:X_TOKEN_DEV', async () => {
    // X accounts and posts have no typed resource in the client: conveyor.request.
    const account = await conveyor.request<Json>('POST', '/x-accounts', { body: plan.account });
    expect(account).toMatchObject({ account_id: expect.any(String), handle: plan.account!.handle });
    const post = await conveyor.request<Json>('POST', '/posts', { body: { account_id: account.account_id, text: 'Hello from npm start' } });
    expect(post).toMatchObject({ post_id: expect.any(String), text: 'Hello from npm start' });
    const id = post.post_id as string;
    expect(await conveyor.request<Json>('POST', `/posts/${id}/publish`)).toMatchObject({ post: { post_id: id }, task_id: expect.any(String) });
    const done = await waitFor(
      async () => {
        const body = await conveyor.request<Json>('GET', `/posts/${id}`);
        return ['published', 'failed'].includes(body.status as string) ? body : undefined;
      },
      `post ${id} published`,
      60_000,
      100,
    );
    expect(done).toMatchObject({ status: 'published', last_error: null });
    // The simulator's control route, not the API: raw fetch.
    const onX = ((await (await fetch(`${simUrl}/_sim/posts`)).json()) as { posts: { id: string; text: string }[] }).posts;
    expect(onX.filter((p) => p.text === 'Hello from npm start').map((p) => p.id)).toEqual([done.x_post_id]);
    expect(done.x_post_id).not.toMatch(/^dryrun-/);
  }, 120_000);
});
