#!/usr/bin/env node
// Benchmark: pickup latency at low load, from submission until the task has started.
//   Conveyor: POST /api/v1/tasks to the real API process, run by the real worker-monitoring
//             process; latency = the task's started_at (committed by the worker's claim)
//             minus the moment the client sent the request.
//   bare BullMQ (same run): Queue.add, one Worker in another process; latency = the moment
//             the processor is called minus the moment add() was called.
// One submission every --interval ms, --tasks per run, alternating runs.
//   node bench/pickup.mjs [--runs 5] [--tasks 200] [--interval 20]
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, acrossRuns, createBenchDatabase, deleteKeysWithPrefix, freePort, machine, startService, summarise, writeResult, appEnv } from './lib.mjs';

const fromDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const fromQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const { createDb, createTenantWithKey } = fromDb(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));
const { Queue } = fromQueue('bullmq');
const IORedis = fromQueue('ioredis');

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, tasks: { type: 'string', default: '200' }, interval: { type: 'string', default: '20' } },
});
const RUNS = Number(values.runs);
const TASKS = Number(values.tasks);
const INTERVAL = Number(values.interval);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const benchDb = await createBenchDatabase();
const db = createDb(benchDb.url, { max: 2 });
const { apiKey } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function bare() {
  const prefix = `bench-pickup-${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  // The worker process answers /healthz and writes, per job, when its processor was called.
  const worker = await startService(
    path.join(ROOT, 'bench', 'bare-worker.mjs'),
    { REDIS_URL: redisUrl, BULLMQ_PREFIX: prefix, PORT: String(port) },
    `http://127.0.0.1:${port}/healthz`,
  );
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('monitoring', { connection, prefix });
  const sent = new Map();
  try {
    for (let i = 0; i < TASKS; i += 1) {
      const id = `job-${i}`;
      sent.set(id, Date.now());
      await queue.add('ping', { i }, { jobId: id, removeOnComplete: false });
      await sleep(INTERVAL);
    }
    let started;
    for (;;) {
      started = await connection.hgetall(`${prefix}:bench-started`);
      if (Object.keys(started).length >= TASKS) break;
      await sleep(50);
    }
    return [...sent].map(([id, at]) => Number(started[id]) - at);
  } finally {
    await worker.stop();
    await queue.close();
    connection.disconnect();
    await deleteKeysWithPrefix(prefix, redisUrl);
  }
}

async function conveyor() {
  const prefix = `bench-pickup-${randomBytes(3).toString('hex')}`;
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  const env = appEnv(benchDb.url, redisUrl, prefix, { HOST: '127.0.0.1' });
  const api = await startService(
    path.join(ROOT, 'apps', 'api', 'dist', 'main.js'),
    { ...env, API_PORT: String(apiPort) },
    `http://127.0.0.1:${apiPort}/healthz`,
  );
  const worker = await startService(
    path.join(ROOT, 'apps', 'worker-monitoring', 'dist', 'main.js'),
    { ...env, WORKER_PORT: String(workerPort) },
    `http://127.0.0.1:${workerPort}/healthz`,
  );
  const sent = new Map();
  try {
    for (let i = 0; i < TASKS; i += 1) {
      const at = Date.now();
      const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ task: 'ping', payload: {} }),
      });
      if (res.status !== 202) throw new Error(`submission answered ${res.status}: ${await res.text()}`);
      sent.set((await res.json()).task_id, at);
      await sleep(INTERVAL);
    }
    let rows;
    for (;;) {
      rows = await db
        .selectFrom('tasks')
        .select(['id', 'started_at'])
        .where('id', 'in', [...sent.keys()])
        .where('started_at', 'is not', null)
        .execute();
      if (rows.length >= TASKS) break;
      await sleep(50);
    }
    return rows.map((r) => r.started_at.getTime() - sent.get(r.id));
  } finally {
    await worker.stop();
    await api.stop();
    await db.deleteFrom('tasks').execute();
    await deleteKeysWithPrefix(prefix, redisUrl);
  }
}

const runs = [];
for (let r = 0; r < RUNS; r += 1) {
  const b = summarise(await bare());
  const c = summarise(await conveyor());
  runs.push({ bare: b, conveyor: c });
  process.stderr.write(`run ${r + 1}/${RUNS}: p50 ${c.median} vs ${b.median} ms, p99 ${c.p99} vs ${b.p99} ms (conveyor vs bare)\n`);
}
const figures = {
  bare: { p50_ms: acrossRuns(runs.map((r) => r.bare.median)), p99_ms: acrossRuns(runs.map((r) => r.bare.p99)) },
  conveyor: { p50_ms: acrossRuns(runs.map((r) => r.conveyor.median)), p99_ms: acrossRuns(runs.map((r) => r.conveyor.p99)) },
};
const fmt = (v) => `${v.median.toFixed(1)} [${v.min.toFixed(1)} – ${v.max.toFixed(1)}] ms`;
console.log(`\nPickup latency, one task every ${INTERVAL} ms, ${TASKS} per run, ${RUNS} runs (median [min – max] across runs)\n`);
console.log(`bare BullMQ (add → processor called)      p50 ${fmt(figures.bare.p50_ms)}   p99 ${fmt(figures.bare.p99_ms)}`);
console.log(`Conveyor (POST sent → STARTED committed)  p50 ${fmt(figures.conveyor.p50_ms)}   p99 ${fmt(figures.conveyor.p99_ms)}`);
console.log(
  `\nwritten to ${writeResult('pickup', { benchmark: 'pickup', machine: machine(), settings: { runs: RUNS, tasks: TASKS, interval_ms: INTERVAL }, figures })}`,
);
await db.destroy();
await benchDb.drop();
