#!/usr/bin/env node
// Benchmark: the API under load with autocannon (50 connections), beside a bare Express
// process in the same run (bench/bare-api.mjs):
//   submission  POST /api/v1/tasks (auth, validation, INSERT, Queue.add)  vs  POST /tasks (Queue.add only)
//   status      GET /api/v1/tasks/{id} (auth, tenant check, attempts)     vs  GET /tasks/:id (one SELECT)
// Both servers are real processes on loopback, logging at info to /dev/null; runs alternate.
//   node bench/http.mjs [--runs 5] [--seconds 10] [--connections 50]
// BENCH_PROFILE=<dir> writes a CPU profile of each Conveyor API process into <dir>.
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import {
  ROOT,
  acrossRuns,
  cpuBetween,
  cpuSnapshot,
  createBenchDatabase,
  deleteKeysWithPrefix,
  freePort,
  machine,
  redisServerPid,
  startService,
  writeResult,
  appEnv,
} from './lib.mjs';

const fromDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const { createDb, createTenantWithKey, insertTasks } = fromDb(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const benchDb = await createBenchDatabase();
const db = createDb(benchDb.url, { max: 4 });
const { tenant, apiKey } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });
// The rows status reads rotate through, finished as most polled tasks are.
const readIds = (
  await insertTasks(
    db,
    Array.from({ length: 1000 }, () => ({ id: randomUUID(), tenant_id: tenant.id, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 3 })),
  )
).map((s) => s.row.id);
await db
  .updateTable('tasks')
  .set({ status: 'SUCCESS', result: JSON.stringify('pong'), progress: 100, attempt: 1 })
  .execute();

function load(url, options) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: SECONDS, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

const redisPid = await redisServerPid(redisUrl);

/** Runs autocannon against the server and returns req/s, latency and CPU µs per request. */
async function measured(serverPid, url, options) {
  const before = cpuSnapshot(redisPid, serverPid);
  const result = await load(url, options);
  const cpu = cpuBetween(before, cpuSnapshot(redisPid, serverPid), result.requests.total);
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0)
    throw new Error(`${bad} of ${result.requests.total} requests failed (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`);
  return {
    rps: result.requests.average,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    server_cpu_us: cpu.server_us,
    postgres_cpu_us: cpu.postgres_us,
    redis_cpu_us: cpu.redis_us,
  };
}

const submitBody = JSON.stringify({ task: 'ping', payload: {} });
let next = 0;
const rotate = (prefixPath) => [{ setupRequest: (req) => ({ ...req, path: `${prefixPath}${readIds[next++ % readIds.length]}` }) }];

async function measure(kind) {
  const port = await freePort();
  const prefix = `bench-http-${randomBytes(3).toString('hex')}`;
  const env = appEnv(benchDb.url, redisUrl, prefix);
  const server =
    kind === 'bare'
      ? await startService(path.join(ROOT, 'bench', 'bare-api.mjs'), { ...env, PORT: String(port) }, `http://127.0.0.1:${port}/healthz`)
      : await startService(
          path.join(ROOT, 'apps', 'api', 'dist', 'main.js'),
          { ...env, API_PORT: String(port), HOST: '127.0.0.1' },
          `http://127.0.0.1:${port}/healthz`,
          20_000,
          process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [],
        );
  try {
    const base = `http://127.0.0.1:${port}${kind === 'bare' ? '' : '/api/v1'}`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
    // A short warm-up, so both are measured with their connections open and code optimised.
    await load(`${base}/tasks`, { method: 'POST', headers, body: submitBody, duration: 2 });
    const submit = await measured(server.pid, `${base}/tasks`, { method: 'POST', headers, body: submitBody });
    const read = await measured(server.pid, `${base}/tasks/`, { headers, requests: rotate(`${kind === 'bare' ? '' : '/api/v1'}/tasks/`) });
    return { submit, read };
  } finally {
    await server.stop();
    await db.deleteFrom('tasks').where('id', 'not in', readIds).execute();
    await deleteKeysWithPrefix(prefix, redisUrl);
  }
}

const runs = [];
for (let r = 0; r < RUNS; r += 1) {
  const bare = await measure('bare');
  const ours = await measure('conveyor');
  runs.push({ bare, ours });
  const cpu = (f) => `cpu µs/req server ${f.server_cpu_us.toFixed(0)} pg ${f.postgres_cpu_us.toFixed(0)} redis ${f.redis_cpu_us.toFixed(0)}`;
  process.stderr.write(
    `run ${r + 1}/${RUNS}: submit ${ours.submit.rps.toFixed(0)} vs ${bare.submit.rps.toFixed(0)} req/s (p99 ${ours.submit.p99_ms} vs ${bare.submit.p99_ms} ms; ${cpu(ours.submit)} vs ${cpu(bare.submit)}); ` +
      `read ${ours.read.rps.toFixed(0)} vs ${bare.read.rps.toFixed(0)} req/s (p99 ${ours.read.p99_ms} vs ${bare.read.p99_ms} ms; ${cpu(ours.read)} vs ${cpu(bare.read)})\n`,
  );
}

const pick = (side, phase, key) => acrossRuns(runs.map((r) => r[side][phase][key]));
const result = { benchmark: 'http', machine: machine(), settings: { runs: RUNS, seconds: SECONDS, connections: CONNECTIONS }, figures: {} };
for (const phase of ['submit', 'read']) {
  result.figures[phase] = {
    conveyor: {
      rps: pick('ours', phase, 'rps'),
      p50_ms: pick('ours', phase, 'p50_ms'),
      p99_ms: pick('ours', phase, 'p99_ms'),
      server_cpu_us: pick('ours', phase, 'server_cpu_us'),
      postgres_cpu_us: pick('ours', phase, 'postgres_cpu_us'),
    },
    bare: {
      rps: pick('bare', phase, 'rps'),
      p50_ms: pick('bare', phase, 'p50_ms'),
      p99_ms: pick('bare', phase, 'p99_ms'),
      server_cpu_us: pick('bare', phase, 'server_cpu_us'),
      postgres_cpu_us: pick('bare', phase, 'postgres_cpu_us'),
    },
    ratio: acrossRuns(runs.map((r) => r.ours[phase].rps / r.bare[phase].rps)),
  };
}
const fmt = (v, d = 0) => `${v.median.toFixed(d)} [${v.min.toFixed(d)} – ${v.max.toFixed(d)}]`;
console.log(`\nHTTP API, autocannon ${CONNECTIONS} connections × ${SECONDS} s, ${RUNS} runs (median [min – max])\n`);
for (const [phase, label, target] of [
  ['submit', 'POST /tasks', '≥ 0.6 (issue 21), p99 < 50 ms'],
  ['read', 'GET /tasks/{id}', ''],
]) {
  const f = result.figures[phase];
  console.log(`${label}`);
  console.log(`  bare Express   ${fmt(f.bare.rps)} req/s   p50 ${fmt(f.bare.p50_ms)} ms   p99 ${fmt(f.bare.p99_ms)} ms`);
  console.log(`  Conveyor       ${fmt(f.conveyor.rps)} req/s   p50 ${fmt(f.conveyor.p50_ms)} ms   p99 ${fmt(f.conveyor.p99_ms)} ms`);
  console.log(`  ratio          ${fmt(f.ratio, 2)}${target ? `   (target ${target})` : ''}`);
}
console.log(`\nwritten to ${writeResult('http', result)}`);
await db.destroy();
await benchDb.drop();
