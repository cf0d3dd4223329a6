#!/usr/bin/env node
// Benchmark: end-to-end throughput through the public HTTP API (issue 21's first target).
// N no-op `ping` tasks are submitted with POST /api/v1/tasks/batch, 1,000 a request, one request
// at a time, to the real API process (rate limits out of reach), and run by one real
// worker-monitoring process (WORKER_CONCURRENCY 50), every state and result committed in
// Postgres. Timed from the first submission to the last task's SUCCESS, read from Postgres (the
// last task's row by id every 10 ms, then a count until every task is there).
// Beside it in the same run, alternating, each worker in its own process (bench/peer-worker.mjs)
// and its jobs added from this process in batches of 1,000 while it runs:
//   bullmq    bare BullMQ, addBulk + one Worker, nothing in Postgres
//   graphile  graphile-worker, addJobs + run() with its documented fast settings
//   pgboss    pg-boss, insert + work() with batched fetch
// Every process of a side starts fresh and runs --warm tasks, unmeasured, before the measured
// --tasks; each side has its own scratch database or prefix and removes it after. The first
// round is a warm-up and not counted; the sides' order rotates from round to round.
// CPU per task is read from /proc for each process: client (this process), api, worker, Redis,
// postgres (the backends of the side's own database and the server's background processes;
// postgres_all: every postgres process, other databases' load included), and the whole machine
// (whatever else runs on it included).
// BENCH_PROFILE=<dir> writes a CPU profile of each Conveyor worker process into <dir> (the whole
// process, warm-up included; bench/profile-summary.mjs reads it).
//   node bench/end-to-end.mjs [--tasks 20000] [--runs 3] [--warm 1000] [--concurrency 50] [--prefetch N] [--sides conveyor,bullmq,graphile,pgboss]
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ROOT,
  acrossRuns,
  cpuBetween,
  cpuSnapshot,
  createBenchDatabase,
  deleteKeysWithPrefix,
  freePort,
  machine,
  postgresPidsOf,
  redisServerPid,
  startApp,
  startService,
  waitUntil,
  writeResult,
  appEnv,
} from './lib.mjs';
import { PEERS, PEER_SETTINGS } from './peers.mjs';
import { startAccounting, stopAccounting } from './postgres-accounting.mjs';

const fromDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const { createDb, createTenantWithKey } = fromDb(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));
const { Pool } = fromDb('pg');

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
    warm: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    // WORKER_PREFETCH of the Conveyor worker (tasks held beyond its concurrency); '' = the app's default.
    prefetch: { type: 'string', default: '' },
    sides: { type: 'string', default: 'conveyor,bullmq,graphile,pgboss' },
    // Conveyor's Postgres cost per task (bench/postgres-accounting.mjs): 'rows' (tables, WAL),
    // 'statements' (and every statement from the server's log: slower, for counting only).
    account: { type: 'string', default: '' },
  },
});
const TASKS = Number(values.tasks);
const RUNS = Number(values.runs);
const WARM = Number(values.warm);
const CONCURRENCY = Number(values.concurrency);
const SIDES = values.sides.split(',');
for (const s of SIDES) if (s !== 'conveyor' && !PEERS[s]) throw new Error(`unknown side ${s}; sides: conveyor, ${Object.keys(PEERS).join(', ')}`);
const BATCH = 1000;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPid = await redisServerPid(redisUrl);

/**
 * Times `count` tasks from the first submission to the last one finished, with CPU per task by
 * process (postgres: the backends of the side's database, if any, and the shared background ones).
 */
async function measured(count, { pids, databaseUrl }, submit, finished) {
  const before = cpuSnapshot(redisPid, undefined, pids);
  const started = process.hrtime.bigint();
  await submit(count);
  await finished();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = cpuSnapshot(redisPid, undefined, pids);
  const postgresPids = await postgresPidsOf(databaseUrl ? [new URL(databaseUrl).pathname.slice(1)] : []);
  const cpu = cpuBetween(before, after, count, { postgresPids });
  return { rate: count / seconds, seconds, cpu: { client_us: cpu.node_us, ...cpu } };
}

async function conveyor() {
  const benchDb = await createBenchDatabase();
  const db = createDb(benchDb.url, { max: 2 });
  const { apiKey } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });
  await db.destroy();
  const accounting = values.account ? await startAccounting(benchDb.url, { statements: values.account === 'statements' }) : undefined;
  const prefix = `bench-e2e-${randomBytes(3).toString('hex')}`;
  const env = appEnv(benchDb.url, redisUrl, prefix, { INGESTION_AUTOSTART: 'false' });
  const api = await startApp('api', env);
  const profileArgs = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const worker = await startApp(
    'worker-monitoring',
    { ...env, WORKER_CONCURRENCY: String(CONCURRENCY), ...(values.prefetch ? { WORKER_PREFETCH: values.prefetch } : {}) },
    30_000,
    profileArgs,
  );
  const pool = new Pool({ connectionString: benchDb.url, max: 1 });
  pool.on('error', () => undefined); // the scratch database is dropped at the end, under any idle client
  let stopping;
  const stopAll = () => (stopping ??= Promise.all([worker.stop(), api.stop(), pool.end()]));
  const body = JSON.stringify({ tasks: Array.from({ length: BATCH }, () => ({ task: 'ping', payload: {} })) });
  const bodyOf = (n) => (n === BATCH ? body : JSON.stringify({ tasks: Array.from({ length: n }, () => ({ task: 'ping', payload: {} })) }));
  let lastId;
  let submitted = 0;
  const submit = async (count) => {
    for (let i = 0; i < count; i += BATCH) {
      const res = await fetch(`http://127.0.0.1:${api.port}/api/v1/tasks/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: bodyOf(Math.min(BATCH, count - i)),
      });
      const answer = await res.json();
      if (res.status !== 202) throw new Error(`POST /tasks/batch answered ${res.status}: ${JSON.stringify(answer)}`);
      lastId = answer.tasks.at(-1).task_id;
    }
    submitted += count;
  };
  // The worker takes jobs in order, so the last task submitted is among the last to finish:
  // one row read by id every 10 ms, then a count (every 10 ms) until every task is there.
  const finished = async () => {
    await waitUntil(async () => (await pool.query('select status from tasks where id = $1', [lastId])).rows[0]?.status === 'SUCCESS', {
      what: `task ${lastId} reaching SUCCESS`,
    });
    await waitUntil(async () => Number((await pool.query("select count(*) as n from tasks where status = 'SUCCESS'")).rows[0].n) >= submitted, {
      what: `all ${submitted} tasks reaching SUCCESS`,
    });
  };
  try {
    await submit(WARM);
    await finished();
    const result = await measured(TASKS, { pids: { api: api.pid, worker: worker.pid }, databaseUrl: benchDb.url }, submit, finished);
    if (accounting) {
      await stopAll();
      // Warm-up included: every task since the apps started.
      result.postgres = await stopAccounting(accounting, WARM + TASKS);
      process.stderr.write(`postgres per task: ${JSON.stringify(result.postgres, null, 1)}\n`);
    }
    return result;
  } finally {
    await stopAll();
    await benchDb.drop();
    await deleteKeysWithPrefix(prefix, redisUrl);
  }
}

async function peer(name) {
  const side = await PEERS[name].prepare(redisUrl);
  const producer = await PEERS[name].producer(side);
  const port = await freePort();
  const worker = await startService(
    path.join(ROOT, 'bench', 'peer-worker.mjs'),
    {
      PEER: name,
      PORT: String(port),
      CONCURRENCY: String(CONCURRENCY),
      REDIS_URL: redisUrl,
      BULLMQ_PREFIX: side.prefix ?? '',
      DATABASE_URL: side.databaseUrl ?? '',
    },
    `http://127.0.0.1:${port}/healthz`,
  );
  let submitted = 0;
  const submit = async (count) => {
    await producer.submit(count);
    submitted += count;
  };
  // The worker process answers once it has run them all; then the jobs' completions must be committed.
  const finished = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/done?count=${submitted}`);
    if (!res.ok) throw new Error(`${name}'s worker answered ${res.status}`);
    await waitUntil(() => producer.settled(submitted), { intervalMs: 5, what: `${name}'s ${submitted} jobs committed` });
  };
  try {
    await submit(WARM);
    await finished();
    return await measured(TASKS, { pids: { api: undefined, worker: worker.pid }, databaseUrl: side.databaseUrl }, submit, finished);
  } finally {
    await worker.stop();
    await producer.close();
    await side.teardown();
  }
}

const runSide = (name) => (name === 'conveyor' ? conveyor() : peer(name));
const cpuText = (c) =>
  `client ${c.client_us.toFixed(0)}${c.api_us ? `, api ${c.api_us.toFixed(0)}` : ''}, worker ${c.worker_us.toFixed(0)}, redis ${c.redis_us.toFixed(0)}, postgres ${c.postgres_us.toFixed(0)} (all ${c.postgres_all_us.toFixed(0)}), machine ${c.machine_us.toFixed(0)}`;

const rounds = [];
for (let r = 0; r <= RUNS; r += 1) {
  const order = SIDES.map((_, i) => SIDES[(i + r) % SIDES.length]);
  const round = {};
  for (const name of order) {
    round[name] = await runSide(name);
    process.stderr.write(
      `${r === 0 ? 'warm-up' : `run ${r}/${RUNS}`}: ${name} ${round[name].rate.toFixed(0)} tasks/s (CPU µs/task ${cpuText(round[name].cpu)})\n`,
    );
  }
  if (r > 0) rounds.push(round);
}

const across = (name, pick) => acrossRuns(rounds.map((round) => pick(round[name])));
const CPU_KEYS = ['client_us', 'api_us', 'worker_us', 'redis_us', 'postgres_us', 'postgres_all_us', 'machine_us'];
const figures = {};
for (const name of SIDES) {
  figures[name] = {
    tasks_per_s: across(name, (s) => s.rate),
    cpu_per_task_us: Object.fromEntries(CPU_KEYS.map((k) => [k, across(name, (s) => s.cpu[k] ?? 0)])),
  };
  if (name !== 'conveyor' && SIDES.includes('conveyor'))
    figures[name].conveyor_ratio = acrossRuns(rounds.map((round) => round.conveyor.rate / round[name].rate));
}

const label = { conveyor: 'Conveyor (HTTP API + worker app)', ...Object.fromEntries(Object.entries(PEERS).map(([k, p]) => [k, p.label])) };
const fmt = (v, d = 0) => `${v.median.toFixed(d)} [${v.min.toFixed(d)} – ${v.max.toFixed(d)}]`;
console.log(`\nEnd to end, ${TASKS} no-op tasks in batches of ${BATCH}, one worker process at concurrency ${CONCURRENCY}, ${RUNS} runs (median [min – max])\n`);
for (const name of SIDES) {
  const f = figures[name];
  console.log(`${label[name].padEnd(34)} ${fmt(f.tasks_per_s).padEnd(24)} tasks/s${f.conveyor_ratio ? `   Conveyor ÷ this ${fmt(f.conveyor_ratio, 2)}` : ''}`);
}
console.log('\nCPU µs per task, median (client = this process; api and worker = their processes)');
for (const name of SIDES) {
  const c = figures[name].cpu_per_task_us;
  console.log(`${label[name].padEnd(34)} ${CPU_KEYS.map((k) => `${k.replace('_us', '')} ${c[k].median.toFixed(0)}`).join(' · ')}`);
}
const result = {
  benchmark: 'end-to-end',
  machine: machine(),
  settings: {
    tasks: TASKS,
    runs: RUNS,
    warm: WARM,
    concurrency: CONCURRENCY,
    prefetch: values.prefetch || 'default',
    batch: BATCH,
    sides: SIDES,
    peers: PEER_SETTINGS,
  },
  figures,
  runs: rounds,
};
console.log(`\nwritten to ${writeResult('end-to-end', result)}`);
