#!/usr/bin/env node
// Benchmark: what @conveyor/client costs over hand-written fetch, against the same real API
// process in the same run. Each run submits N ping tasks at a fixed concurrency, alternating:
//   fetch   POST /api/v1/tasks with JSON.stringify and an Idempotency-Key header
//   client  conveyor.tasks.submit('ping', {}) (typed options, its generated idempotency key,
//           error mapping, retry bookkeeping)
// and reads each back (GET /api/v1/tasks/{id}) both ways. It reports calls/s and the CPU of
// this (the caller's) process per call; the ratio client/fetch is the client's price.
//   node bench/client.mjs [--runs 5] [--calls 3000] [--concurrency 50]
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, UNLIMITED_RATE_LIMITS, acrossRuns, createBenchDatabase, deleteKeysWithPrefix, machine, mapLimit, startApp, writeResult } from './lib.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, calls: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '50' } },
});
const RUNS = Number(values.runs);
const CALLS = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const fromDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const { createDb, createTenantWithKey } = fromDb(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));
const { Conveyor } = createRequire(import.meta.url)(path.join(ROOT, 'packages', 'client', 'dist', 'index.js'));

const benchDb = await createBenchDatabase();
const db = createDb(benchDb.url, { max: 2 });
const prefix = `bench-client-${randomUUID().slice(0, 8)}`;
const api = await startApp('api', {
  DATABASE_URL: benchDb.url,
  REDIS_URL: redisUrl,
  BULLMQ_PREFIX: prefix,
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  API_RATE_LIMITS: UNLIMITED_RATE_LIMITS,
  INGESTION_AUTOSTART: 'false',
});
const baseUrl = `http://127.0.0.1:${api.port}`;
const { apiKey } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });

const byFetch = {
  async submit() {
    const res = await fetch(`${baseUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
      body: JSON.stringify({ task: 'ping', payload: {} }),
    });
    const body = await res.json();
    if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(body)}`);
    return body.task_id;
  },
  async get(id) {
    const res = await fetch(`${baseUrl}/api/v1/tasks/${id}`, { headers: { Authorization: `Bearer ${apiKey}` } });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`get: ${res.status}`);
    return body;
  },
};
const conveyor = new Conveyor({ baseUrl, apiKey });
const byClient = {
  submit: async () => (await conveyor.tasks.submit('ping', {})).id,
  get: (id) => conveyor.tasks.get(id),
};

/** N submissions, then N reads of them, at CONCURRENCY: calls/s and caller CPU µs per call of each. */
async function measure(way) {
  const phase = async (fn) => {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const out = await mapLimit(Array.from({ length: CALLS }), CONCURRENCY, fn);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    return { out, rate: CALLS / seconds, cpu_us: (used.user + used.system) / CALLS };
  };
  const submit = await phase(() => way.submit());
  const ids = submit.out;
  const read = await phase((_, i) => way.get(ids[i]));
  return { submit_per_s: submit.rate, submit_cpu_us: submit.cpu_us, get_per_s: read.rate, get_cpu_us: read.cpu_us };
}

const samples = { fetch: [], client: [] };
try {
  await measure(byClient); // warm both paths (connections, JIT) before measuring
  await measure(byFetch);
  for (let run = 1; run <= RUNS; run += 1) {
    // Alternate which goes first, so neither always meets the fuller table.
    const order = run % 2 ? ['fetch', 'client'] : ['client', 'fetch'];
    for (const name of order) samples[name].push(await measure(name === 'fetch' ? byFetch : byClient));
    process.stderr.write(`run ${run}/${RUNS} done\n`);
  }
} finally {
  await api.stop();
  await db.destroy();
  await benchDb.drop();
  await deleteKeysWithPrefix(prefix, redisUrl);
}

const median = (name, field) => acrossRuns(samples[name].map((s) => s[field])).median;
const FIELDS = ['submit_per_s', 'submit_cpu_us', 'get_per_s', 'get_cpu_us'];
// Ratios within each run (the two ways measured back to back), then across runs.
const perRun = (field) => acrossRuns(samples.client.map((c, i) => c[field] / samples.fetch[i][field]));
const result = {
  machine: machine(),
  settings: { runs: RUNS, calls: CALLS, concurrency: CONCURRENCY },
  figures: {
    fetch: Object.fromEntries(FIELDS.map((f) => [f, acrossRuns(samples.fetch.map((s) => s[f]))])),
    client: Object.fromEntries(FIELDS.map((f) => [f, acrossRuns(samples.client.map((s) => s[f]))])),
    ratios: { submit_rate: perRun('submit_per_s'), get_rate: perRun('get_per_s'), submit_cpu: perRun('submit_cpu_us'), get_cpu: perRun('get_cpu_us') },
  },
};
const ratios = result.figures.ratios;
const row = (name) =>
  `${name.padEnd(7)} submit ${median(name, 'submit_per_s').toFixed(0).padStart(6)}/s ${median(name, 'submit_cpu_us').toFixed(0).padStart(5)} µs CPU   get ${median(name, 'get_per_s').toFixed(0).padStart(6)}/s ${median(name, 'get_cpu_us').toFixed(0).padStart(5)} µs CPU`;
console.log(`\n@conveyor/client against hand-written fetch, one API process, ${CALLS} calls at concurrency ${CONCURRENCY}, median of ${RUNS} runs`);
console.log(row('fetch'));
console.log(row('client'));
console.log(
  `client/fetch: submit rate ${ratios.submit_rate.median.toFixed(2)}, get rate ${ratios.get_rate.median.toFixed(2)}; caller CPU per call ${ratios.submit_cpu.median.toFixed(2)}× (submit), ${ratios.get_cpu.median.toFixed(2)}× (get)`,
);
console.log(`written to ${writeResult('client', result)}`);
