#!/usr/bin/env node
// Benchmark: publishing to X against the loopback X simulator (packages/sim, in this process),
// with the real API, scheduler and worker-publishing processes on a private database and
// BullMQ prefix, beside a bare BullMQ worker calling X with plain fetch in the same run.
//   1. per tier, one account: N posts (the tier's POST /2/tweets limit in one window, capped
//      at --tier-cap) published at once; posts/s from the first publish request to the last
//      `published`, and the 429s X answered (expected 0). The tier's own ceiling is printed
//      beside it: X allows that many per window, whatever Conveyor does.
//   2. --accounts pro accounts at once, --posts-per-account each: posts/s overall.
//   3. --latency-posts posts (one per pro account), each scheduled through the schedules API
//      (one-shot) for the same due time a few seconds ahead: published_at − due, both from
//      Postgres's clock; baseline: BullMQ delayed jobs for the same due time.
// Setup (accounts, posts) goes through the API and is not timed; publishing is a
// POST /posts/{id}/publish per post (--in-flight at a time), as a client does it.
//   node bench/publishing.mjs [--runs 3] [--workers 2] [--tier-cap 100] [--accounts 100]
//                             [--posts-per-account 10] [--latency-posts 100] [--quick]
// BENCH_PROFILE=<dir> writes a CPU profile of each worker-publishing process (bench/profile-summary.mjs reads it).
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ROOT,
  UNLIMITED_RATE_LIMITS,
  acrossRuns,
  cpuBetween,
  cpuSnapshot,
  createBenchDatabase,
  deleteKeysWithPrefix,
  freePort,
  machine,
  mapLimit,
  processCpuMs,
  redisServerPid,
  startApp,
  startService,
  summarise,
  writeResult,
} from './lib.mjs';

const requireDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const requireQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const fromPkg = (name) => requireQueue(path.join(ROOT, 'packages', name, 'dist', 'index.js'));
const { Client } = requireDb('pg');
const { Queue } = requireQueue('bullmq');
const IORedis = requireQueue('ioredis');
const { createDb, createTenantWithKey } = fromPkg('db');
const { XSimulator } = fromPkg('sim');
const { X_RATE_LIMITS, X_TIERS } = fromPkg('contracts');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '10' },
    'in-flight': { type: 'string', default: '20' },
    'tier-cap': { type: 'string', default: '100' },
    accounts: { type: 'string', default: '100' },
    'posts-per-account': { type: 'string', default: '10' },
    'latency-posts': { type: 'string', default: '100' },
    'lead-ms': { type: 'string', default: '5000' },
    'bound-s': { type: 'string', default: '90' },
    quick: { type: 'boolean', default: false },
  },
});
const Q = values.quick;
const RUNS = Q ? 1 : Number(values.runs);
const WORKERS = Number(values.workers);
const CONCURRENCY = Number(values.concurrency);
const IN_FLIGHT = Number(values['in-flight']);
const TIER_CAP = Q ? 20 : Number(values['tier-cap']);
const ACCOUNTS = Q ? 20 : Number(values.accounts);
const PER_ACCOUNT = Q ? 5 : Number(values['posts-per-account']);
const LATENCY_POSTS = Math.min(ACCOUNTS, Q ? 20 : Number(values['latency-posts']));
const LEAD_MS = Number(values['lead-ms']);
// How long any one scenario may take before the benchmark gives up on it and reports what it has.
const BOUND_MS = Number(values['bound-s']) * 1000;
const TWEETS = 'POST /2/tweets';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// X's side: one simulator account per tier, and the pro accounts of scenarios 2 and 3. Tokens
// reach the apps as environment variables that the accounts' token_secret_ref names.
const tierAccounts = X_TIERS.map((tier, i) => ({
  tier,
  tokenEnv: `X_TOKEN_${tier.toUpperCase()}`,
  x: { token: `bench-${tier}-${randomBytes(6).toString('hex')}`, id: String(1_800_000_000_000_000_000n + BigInt(i)), username: `bench_${tier}`, tier },
}));
const proAccounts = Array.from({ length: ACCOUNTS }, (_, i) => ({
  tier: 'pro',
  tokenEnv: `X_TOKEN_P${String(i).padStart(3, '0')}`,
  x: { token: `bench-p${i}-${randomBytes(6).toString('hex')}`, id: String(1_800_000_000_000_001_000n + BigInt(i)), username: `bench_p${i}`, tier: 'pro' },
}));
const tokenEnv = Object.fromEntries([...tierAccounts, ...proAccounts].map((a) => [a.tokenEnv, a.x.token]));

const sim = new XSimulator({ accounts: [...tierAccounts, ...proAccounts].map((a) => a.x) });
const xBase = await sim.listen();
const benchDb = await createBenchDatabase();
const kdb = createDb(benchDb.url, { max: 2 });
const { apiKey } = await createTenantWithKey(kdb, { name: 'bench', plan: 'growth' });
await kdb.destroy();
const pg = new Client({ connectionString: benchDb.url });
await pg.connect();
const redis = new IORedis(redisUrl);

const prefix = `bench-pub-${randomBytes(3).toString('hex')}`;
const bareprefix = `bench-pubbare-${randomBytes(3).toString('hex')}`;
const env = {
  DATABASE_URL: benchDb.url,
  REDIS_URL: redisUrl,
  BULLMQ_PREFIX: prefix,
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  API_RATE_LIMITS: UNLIMITED_RATE_LIMITS,
  WORKER_CONCURRENCY: String(CONCURRENCY),
  X_API_BASE_URL: xBase,
  X_DRY_RUN: 'false',
  // Captures planned a week out: none runs during the benchmark.
  X_METRICS_STAGES: '7d',
  ...tokenEnv,
};
process.stderr.write(`starting api, scheduler, ${WORKERS} worker-publishing and ${WORKERS} bare workers (concurrency ${CONCURRENCY} each)\n`);
const api = await startApp('api', env);
const services = [api, await startApp('scheduler', env)];
const workers = [];
// BENCH_PROFILE=<dir>: a CPU profile of each publishing worker (the whole process), written when it stops.
const profileArgs = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
for (let i = 0; i < WORKERS; i += 1) workers.push(await startApp('worker-publishing', env, 30_000, profileArgs));
const bareWorkers = [];
for (let i = 0; i < WORKERS; i += 1) {
  const port = await freePort();
  bareWorkers.push(
    await startService(
      path.join(ROOT, 'bench', 'bare-x-worker.mjs'),
      { REDIS_URL: redisUrl, BULLMQ_PREFIX: bareprefix, X_API_BASE_URL: xBase, CONCURRENCY: String(CONCURRENCY), PORT: String(port), ...tokenEnv },
      `http://127.0.0.1:${port}/healthz`,
    ),
  );
}
services.push(...workers, ...bareWorkers);
const redisPid = await redisServerPid(redisUrl);
const sumCpu = (procs) => procs.reduce((ms, p) => ms + processCpuMs(p.pid), 0);
/** CPU used so far by each part: the API, the publishing workers, the bare workers, and (lib's snapshot) this process with the simulator, Redis, Postgres, the machine. */
const cpuNow = () => ({ snap: cpuSnapshot(redisPid), api: processCpuMs(api.pid), workers: sumCpu(workers), bare: sumCpu(bareWorkers) });
/** CPU µs per post between two cpuNow()s, by part. */
function cpuPerPost(before, after, posts) {
  const { node_us, redis_us, postgres_us, machine_us } = cpuBetween(before.snap, after.snap, posts);
  const us = (k) => ((after[k] - before[k]) / posts) * 1000;
  return { api_us: us('api'), workers_us: us('workers'), bare_workers_us: us('bare'), bench_and_x_sim_us: node_us, redis_us, postgres_us, machine_us };
}
const bareConnection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
const bareQueue = new Queue('publishing', { connection: bareConnection, prefix: bareprefix });

/** One call to the real API; anything but the expected status stops the benchmark, with the body. */
async function call(method, route, body, expected) {
  const res = await fetch(`http://127.0.0.1:${api.port}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== expected) throw new Error(`${method} ${route} answered ${res.status} (expected ${expected}): ${JSON.stringify(json)}`);
  return json;
}

const pgNow = async () => (await pg.query('select clock_timestamp() as t')).rows[0].t;

let runTag = '';
/** Conveyor X accounts for this run (fresh ids, so the limiter starts each scenario knowing nothing, as X does after reset). */
async function createAccounts(accounts, label) {
  return mapLimit(accounts, IN_FLIGHT, async (a, i) => {
    const created = await call('POST', '/x-accounts', { handle: `${runTag}${label}${i}`, api_tier: a.tier, token_secret_ref: `env:${a.tokenEnv}` }, 201);
    return { ...a, accountId: created.account_id };
  });
}

/** Posts as drafts through the API: `plan` is [{account, text}], in the order they will be published. */
const createPosts = (plan) =>
  mapLimit(plan, IN_FLIGHT, async (p) => ({ ...p, postId: (await call('POST', '/posts', { account_id: p.account.accountId, text: p.text }, 201)).post_id }));

/**
 * Waits until every post is published (or failed), polling Postgres, for at most BOUND_MS.
 * Returns how many were published and failed, and the last published_at.
 */
async function waitPublished(postIds) {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const { rows } = await pg.query(
      `select count(*) filter (where status = 'published')::int as published, count(*) filter (where status = 'failed')::int as failed,
              max(published_at) as last
         from posts where id = any($1::uuid[])`,
      [postIds],
    );
    const r = rows[0];
    if (r.published + r.failed >= postIds.length || Date.now() > deadline) return r;
    await sleep(100);
  }
}

/**
 * How the publish tasks of these posts went (attempts deferred by the rate limiter, retried,
 * failed), once every one has finished: a post is published a moment before its task's result
 * commits.
 */
async function taskOutcomes(postIds) {
  const deadline = Date.now() + 10_000;
  const unfinished = `select count(*)::int as n from tasks where task = 'publish_post' and payload->>'post_id' = any($1::text[]) and status not in ('SUCCESS', 'FAILURE', 'REVOKED')`;
  while ((await pg.query(unfinished, [postIds])).rows[0].n > 0 && Date.now() < deadline) await sleep(50);
  const { rows } = await pg.query(
    `select e->>'outcome' as outcome, count(*)::int as n
       from tasks, jsonb_array_elements(attempt_history) e
      where task = 'publish_post' and payload->>'post_id' = any($1::text[])
      group by 1`,
    [postIds],
  );
  return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
}

/** Says, on stderr, where the posts not published within the bound are: post, task, and the limiter's window of their account. */
async function explainUnpublished(postIds) {
  const { rows } = await pg.query(
    `select p.id, p.account_id, p.status, p.last_error, t.status as task_status, t.attempt_history, t.run_at
       from posts p left join tasks t on t.task = 'publish_post' and t.payload->>'post_id' = p.id::text
      where p.id = any($1::uuid[]) and p.status <> 'published' limit 3`,
    [postIds],
  );
  for (const row of rows) {
    const window = `${prefix}:xrl:{${row.account_id}}:${TWEETS}`;
    process.stderr.write(
      `not published within ${BOUND_MS / 1000} s: ${JSON.stringify(row)}\n  limiter window ${JSON.stringify(await redis.hgetall(window))}, in flight ${await redis.zcard(`${window}:inflight`)}\n`,
    );
  }
}

/** The simulator's answers to POST /2/tweets since its last reset, by status. */
function xAnswers() {
  const by = {};
  for (const r of sim.requests.filter((q) => q.endpoint === TWEETS)) by[r.status] = (by[r.status] ?? 0) + 1;
  return by;
}

/** Conveyor: publishes the planned posts through the API, --in-flight requests at a time. */
async function conveyorPublish(plan) {
  sim.reset();
  const posts = await createPosts(plan);
  const ids = posts.map((p) => p.postId);
  const started = await pgNow();
  const cpuBefore = cpuNow();
  await mapLimit(posts, IN_FLIGHT, (p) => call('POST', `/posts/${p.postId}/publish`, undefined, 202));
  const done = await waitPublished(ids);
  const cpu = cpuPerPost(cpuBefore, cpuNow(), plan.length);
  if (done.published < plan.length) await explainUnpublished(ids);
  const seconds = (done.last - started) / 1000;
  return {
    posts: plan.length,
    published: done.published,
    failed: done.failed,
    seconds,
    posts_per_s: done.published === plan.length ? plan.length / seconds : NaN,
    x_answers: xAnswers(),
    x_429: xAnswers()['429'] ?? 0,
    cpu_per_post: cpu,
    attempts: await taskOutcomes(ids),
  };
}

/** Bare: the same posts as BullMQ jobs (Queue.add, --in-flight at a time) for the bare worker processes. */
async function barePublish(plan) {
  sim.reset();
  const key = `${bareprefix}:bench-published`;
  await redis.del(key);
  const started = Date.now();
  const cpuBefore = cpuNow();
  await mapLimit(plan, IN_FLIGHT, (p, i) =>
    bareQueue.add('publish', { token_env: p.account.tokenEnv, text: p.text }, { jobId: `j${i}`, removeOnComplete: true, removeOnFail: true }),
  );
  const deadline = Date.now() + BOUND_MS;
  let times;
  for (;;) {
    times = Object.values(await redis.hgetall(key)).map(Number);
    const failed = await bareQueue.getFailedCount();
    if (times.length + failed >= plan.length || Date.now() > deadline) break;
    await sleep(50);
  }
  const cpu = cpuPerPost(cpuBefore, cpuNow(), plan.length);
  const seconds = (Math.max(...times) - started) / 1000;
  return {
    posts: plan.length,
    published: times.length,
    seconds,
    posts_per_s: times.length === plan.length ? plan.length / seconds : NaN,
    x_429: xAnswers()['429'] ?? 0,
    cpu_per_post: cpu,
  };
}

/** Post texts unique within the run (X refuses a user's duplicate text). */
const text = (what, i) => `Bench ${runTag} ${what} post number ${i}, published by the publishing benchmark`;

/** N per tier: the tier's POST /2/tweets limit in one window, capped. */
const tierPosts = (tier) => Math.min(X_RATE_LIMITS[tier][TWEETS].limit, TIER_CAP);

async function scenarioTiers() {
  const accounts = await createAccounts(tierAccounts, 't');
  const out = {};
  for (const account of accounts) {
    const plan = Array.from({ length: tierPosts(account.tier) }, (_, i) => ({ account, text: text(account.tier, i) }));
    const conveyor = await conveyorPublish(plan);
    const bare = await barePublish(plan);
    out[account.tier] = { conveyor, bare, ratio: conveyor.posts_per_s / bare.posts_per_s };
  }
  return out;
}

async function scenarioManyAccounts(accounts) {
  // Round-robin over the accounts, as many tenants' posts would arrive.
  const plan = [];
  for (let k = 0; k < PER_ACCOUNT; k += 1) for (const account of accounts) plan.push({ account, text: text(`${account.x.username} many`, k) });
  const conveyor = await conveyorPublish(plan);
  const bare = await barePublish(plan);
  return { conveyor, bare, ratio: conveyor.posts_per_s / bare.posts_per_s };
}

/** Scenario 3, Conveyor: one-shot schedules through the API, all due at once, LEAD_MS ahead of Postgres's now(). */
async function conveyorLatency(accounts) {
  sim.reset();
  const posts = await createPosts(accounts.map((account) => ({ account, text: text(`${account.x.username} due`, 0) })));
  const due = new Date((await pgNow()).getTime() + LEAD_MS);
  await mapLimit(posts, IN_FLIGHT, (p) =>
    call(
      'POST',
      '/schedules',
      { name: `due ${p.postId}`, task: 'publish_post', payload: { post_id: p.postId }, kind: 'one_shot', run_at: due.toISOString() },
      201,
    ),
  );
  const ready = await pgNow();
  if (ready >= due) throw new Error(`creating the schedules took past their due time; raise --lead-ms (${LEAD_MS})`);
  const ids = posts.map((p) => p.postId);
  const done = await waitPublished(ids);
  const { rows } = await pg.query(
    `select extract(epoch from published_at - $2::timestamptz) * 1000 as ms from posts where id = any($1::uuid[]) and status = 'published'`,
    [ids, due],
  );
  return { posts: ids.length, published: done.published, latency_ms: summarise(rows.map((r) => Number(r.ms))), x_429: xAnswers()['429'] ?? 0 };
}

/** Scenario 3, bare: BullMQ delayed jobs due at the same moment (this machine's clock on both sides). */
async function bareLatency(accounts) {
  sim.reset();
  const key = `${bareprefix}:bench-published`;
  await redis.del(key);
  const due = Date.now() + LEAD_MS;
  await mapLimit(accounts, IN_FLIGHT, (account, i) =>
    bareQueue.add(
      'publish',
      { token_env: account.tokenEnv, text: text(`${account.x.username} bare due`, 0) },
      { jobId: `d${i}`, delay: due - Date.now(), removeOnComplete: true },
    ),
  );
  const deadline = Date.now() + LEAD_MS + BOUND_MS;
  let times;
  do {
    await sleep(100);
    times = Object.values(await redis.hgetall(key)).map(Number);
  } while (times.length < accounts.length && Date.now() < deadline);
  return { posts: accounts.length, published: times.length, latency_ms: summarise(times.map((t) => t - due)) };
}

const runs = [];
for (let r = 0; r < RUNS; r += 1) {
  runTag = `r${r}${randomBytes(1).toString('hex')}`;
  const tiers = await scenarioTiers();
  const pros = await createAccounts(proAccounts, 'p');
  const many = await scenarioManyAccounts(pros);
  const latencyAccounts = (await createAccounts(proAccounts.slice(0, LATENCY_POSTS), 'd')).slice(0, LATENCY_POSTS);
  const latency = { conveyor: await conveyorLatency(latencyAccounts), bare: await bareLatency(latencyAccounts) };
  runs.push({ tiers, many, latency });
  const tierLine = Object.entries(tiers)
    .map(([t, v]) => `${t} ${v.conveyor.posts_per_s.toFixed(1)}/${v.bare.posts_per_s.toFixed(1)} (${v.conveyor.x_429} 429s)`)
    .join(', ');
  process.stderr.write(
    `run ${r + 1}/${RUNS}: tiers posts/s conveyor/bare ${tierLine}; ${ACCOUNTS}×${PER_ACCOUNT}: ${many.conveyor.posts_per_s.toFixed(1)} vs ${many.bare.posts_per_s.toFixed(1)} posts/s; ` +
      `due→published p50 ${latency.conveyor.latency_ms.median.toFixed(0)} p99 ${latency.conveyor.latency_ms.p99.toFixed(0)} ms (bare delayed job p50 ${latency.bare.latency_ms.median.toFixed(0)} ms)\n`,
  );
}

const across = (pick) => acrossRuns(runs.map(pick));
const figures = {
  tiers: Object.fromEntries(
    X_TIERS.map((tier) => {
      const limit = X_RATE_LIMITS[tier][TWEETS];
      return [
        tier,
        {
          posts: tierPosts(tier),
          x_ceiling: { posts_per_window: limit.limit, window_s: limit.windowMs / 1000, posts_per_s: limit.limit / (limit.windowMs / 1000) },
          conveyor_posts_per_s: across((x) => x.tiers[tier].conveyor.posts_per_s),
          bare_posts_per_s: across((x) => x.tiers[tier].bare.posts_per_s),
          ratio: across((x) => x.tiers[tier].ratio),
          conveyor_x_429: across((x) => x.tiers[tier].conveyor.x_429),
          bare_x_429: across((x) => x.tiers[tier].bare.x_429),
          conveyor_deferred_attempts: across((x) => x.tiers[tier].conveyor.attempts.deferred ?? 0),
        },
      ];
    }),
  ),
  many_accounts: {
    accounts: ACCOUNTS,
    posts_per_account: PER_ACCOUNT,
    conveyor_posts_per_s: across((x) => x.many.conveyor.posts_per_s),
    bare_posts_per_s: across((x) => x.many.bare.posts_per_s),
    ratio: across((x) => x.many.ratio),
    conveyor_x_429: across((x) => x.many.conveyor.x_429),
    conveyor_deferred_attempts: across((x) => x.many.conveyor.attempts.deferred ?? 0),
    cpu_per_post_us: Object.fromEntries(
      ['conveyor', 'bare'].map((side) => [
        side,
        Object.fromEntries(Object.keys(runs[0].many[side].cpu_per_post).map((k) => [k, across((x) => x.many[side].cpu_per_post[k])])),
      ]),
    ),
  },
  due_to_published: {
    posts: LATENCY_POSTS,
    conveyor_ms: Object.fromEntries(['median', 'p95', 'p99', 'max'].map((k) => [k, across((x) => x.latency.conveyor.latency_ms[k])])),
    bare_delayed_job_ms: Object.fromEntries(['median', 'p95', 'p99', 'max'].map((k) => [k, across((x) => x.latency.bare.latency_ms[k])])),
  },
};

const fmt = (v, d = 1) => `${v.median.toFixed(d)} [${v.min.toFixed(d)}–${v.max.toFixed(d)}]`;
const perWindow = (c) =>
  `${c.posts_per_window} per ${c.window_s >= 3600 ? `${c.window_s / 3600} h` : `${c.window_s / 60} min`} (${c.posts_per_s.toPrecision(2)}/s)`;
console.log(
  `\nPublishing to X against the loopback simulator: ${WORKERS} worker-publishing × concurrency ${CONCURRENCY}, ${RUNS} run(s), median [min–max] across runs${Q ? ' — QUICK RUN, not for quoting' : ''}\n`,
);
console.log('| scenario | Conveyor posts/s | bare BullMQ + fetch posts/s | ratio | X 429s | X ceiling (POST /2/tweets) |');
console.log('|---|---|---|---|---|---|');
for (const [tier, f] of Object.entries(figures.tiers))
  console.log(
    `| 1 account, ${tier}, ${f.posts} posts | ${fmt(f.conveyor_posts_per_s)} | ${fmt(f.bare_posts_per_s)} | ${fmt(f.ratio, 2)} | ${f.conveyor_x_429.max} | ${perWindow(f.x_ceiling)} |`,
  );
const m = figures.many_accounts;
console.log(
  `| ${m.accounts} pro accounts × ${m.posts_per_account} posts | ${fmt(m.conveyor_posts_per_s)} | ${fmt(m.bare_posts_per_s)} | ${fmt(m.ratio, 2)} | ${m.conveyor_x_429.max} | ${perWindow(figures.tiers.pro.x_ceiling)} each |`,
);
const cpuLine = (c) =>
  Object.entries(c)
    .filter(([, v]) => v.median > 0.5)
    .map(([k, v]) => `${k.replace(/_us$/, '')} ${v.median.toFixed(0)}`)
    .join(' · ');
console.log(`\nCPU µs per post, ${m.accounts} accounts (median across runs): Conveyor ${cpuLine(m.cpu_per_post_us.conveyor)}`);
console.log(`                                               bare     ${cpuLine(m.cpu_per_post_us.bare)}`);
const d = figures.due_to_published;
const lat = (o) => `p50 ${fmt(o.median, 0)}, p95 ${fmt(o.p95, 0)}, p99 ${fmt(o.p99, 0)}, max ${fmt(o.max, 0)} ms`;
console.log(`\nDue → published, ${d.posts} posts scheduled for the same moment (one-shot schedules, one per pro account):`);
console.log(`  Conveyor (published_at − due, Postgres clock)  ${lat(d.conveyor_ms)}`);
console.log(`  bare BullMQ delayed job → X answered            ${lat(d.bare_delayed_job_ms)}`);
console.log('\nNo external peer publishes to X on a queue of this kind; the bare worker is the baseline (notes in the JSON).');
console.log(
  `\nwritten to ${writeResult('publishing', {
    benchmark: 'publishing',
    machine: machine(),
    settings: {
      runs: RUNS,
      quick: Q,
      workers: WORKERS,
      concurrency: CONCURRENCY,
      in_flight_requests: IN_FLIGHT,
      tier_cap: TIER_CAP,
      accounts: ACCOUNTS,
      posts_per_account: PER_ACCOUNT,
      latency_posts: LATENCY_POSTS,
      lead_ms: LEAD_MS,
      scheduler_tick_ms: 1000,
      setup: 'accounts, posts and schedules through the real API (not timed); publishing through POST /posts/{id}/publish',
    },
    notes: [
      'Peer: no external peer for X publishing exists (no open-source queue ships an X publisher to compare); the baseline is a bare BullMQ worker calling POST /2/tweets with plain fetch, no Postgres, no limiter, same processes and concurrency.',
      "Free and basic: N is the tier's whole 24 h window (17, 100); their real ceiling is X's, 17 and 100 posts a day, not the burst rate measured here.",
      'Conveyor posts/s: from the first publish request (Postgres clock) to the last published_at; bare: from the first Queue.add to the last X answer (this machine clock).',
    ],
    figures,
    runs,
  })}`,
);

await bareQueue.close();
bareConnection.disconnect();
for (const s of services.reverse()) await s.stop();
await sim.close();
redis.disconnect();
await pg.end();
await deleteKeysWithPrefix(prefix, redisUrl);
await deleteKeysWithPrefix(bareprefix, redisUrl);
await benchDb.drop();
