#!/usr/bin/env node
// Benchmark: end-to-end throughput of no-op tasks — submitted in bulk, run by one worker,
// every state change and result committed in Postgres — beside bare BullMQ (addBulk + one
// Worker, same concurrency, no Postgres) in the same run. Issue 6's first target: ≥ 70 %.
//   node bench/throughput.mjs [--jobs 5000] [--runs 5] [--concurrency 50] [--only conveyor|bare]
// (--only runs one side, e.g. under node --cpu-prof; it prints no ratio.)
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import { ROOT, acrossRuns, createBenchDatabase, deleteKeysWithPrefix, machine, writeResult } from './lib.mjs';

const requireQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const { Queue, Worker } = requireQueue('bullmq');
const IORedis = requireQueue('ioredis');
const fromPkg = (name) => requireQueue(path.join(ROOT, 'packages', name, 'dist', 'index.js'));
const { createDb, createTenantWithKey, insertTasks } = fromPkg('db');
const { TaskProducer, TaskWorker, createProducerRedis, createWorkerRedis } = fromPkg('queue');
const { TaskPolicies } = fromPkg('contracts');
const { createLogger } = fromPkg('observability');

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '5000' }, runs: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '50' }, only: { type: 'string' } } });
const JOBS = Number(values.jobs);
const RUNS = Number(values.runs);
const CONCURRENCY = Number(values.concurrency);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ service: 'bench', level: 'error', stream: new PassThrough() });

const benchDb = await createBenchDatabase();
const db = createDb(benchDb.url, { max: 20 });
const { tenant } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });

async function bareBullmq() {
  const prefix = `bench-bare-${randomBytes(3).toString('hex')}`;
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('monitoring', { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
  for (let i = 0; i < JOBS; i += 1000) await queue.addBulk(Array.from({ length: Math.min(1000, JOBS - i) }, () => ({ name: 'ping', data: { task_id: randomUUID() } })));
  let done = 0;
  const started = process.hrtime.bigint();
  const finished = new Promise((resolve) => {
    const worker = new Worker('monitoring', async () => 'pong', { connection, prefix, concurrency: CONCURRENCY });
    worker.on('completed', () => {
      done += 1;
      if (done === JOBS) resolve(worker);
    });
  });
  const worker = await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.close();
  await queue.close();
  connection.disconnect();
  await deleteKeysWithPrefix(prefix, redisUrl);
  return JOBS / seconds;
}

async function conveyor() {
  const prefix = `bench-conv-${randomBytes(3).toString('hex')}`;
  const producerRedis = createProducerRedis(redisUrl);
  const workerRedis = createWorkerRedis(redisUrl);
  await new Promise((r) => producerRedis.once('ready', r));
  const producer = new TaskProducer(producerRedis, prefix);
  for (let i = 0; i < JOBS; i += 1000) {
    const rows = await insertTasks(db, Array.from({ length: Math.min(1000, JOBS - i) }, () => ({ id: randomUUID(), tenant_id: tenant.id, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1 })));
    await producer.enqueueMany(rows.map(({ row }) => ({ id: row.id, task: 'ping', queue: 'monitoring' })));
  }
  const started = process.hrtime.bigint();
  let done = 0;
  const worker = new TaskWorker({ queue: 'monitoring', handlers: { ping: async () => 'pong' }, policies: new TaskPolicies(), db, logger, connection: workerRedis, prefix, concurrency: CONCURRENCY });
  await new Promise((resolve) => worker.worker.on('completed', () => (done += 1) === JOBS && resolve()));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.close(10_000);
  const succeeded = await db.selectFrom('tasks').select((eb) => eb.fn.countAll().as('n')).where('status', '=', 'SUCCESS').executeTakeFirstOrThrow();
  if (Number(succeeded.n) < JOBS) throw new Error(`only ${succeeded.n} of ${JOBS} tasks reached SUCCESS`);
  await db.deleteFrom('tasks').execute();
  await producer.close();
  producerRedis.disconnect();
  workerRedis.disconnect();
  await deleteKeysWithPrefix(prefix, redisUrl);
  return JOBS / seconds;
}

const runs = [];
for (let r = 0; r < RUNS; r += 1) {
  const bare = values.only === 'conveyor' ? NaN : await bareBullmq();
  const ours = values.only === 'bare' ? NaN : await conveyor();
  runs.push({ bare, ours, ratio: ours / bare });
  process.stderr.write(`run ${r + 1}/${RUNS}: bare ${bare.toFixed(0)} jobs/s, conveyor ${ours.toFixed(0)} tasks/s (${((ours / bare) * 100).toFixed(0)} %)\n`);
}
const figures = { bare_jobs_per_s: acrossRuns(runs.map((r) => r.bare)), conveyor_tasks_per_s: acrossRuns(runs.map((r) => r.ours)), ratio: acrossRuns(runs.map((r) => r.ratio)) };
const fmt = (v, d = 0) => `${v.median.toFixed(d)} [${v.min.toFixed(d)} – ${v.max.toFixed(d)}]`;
console.log(`\nEnd-to-end throughput, ${JOBS} no-op tasks, concurrency ${CONCURRENCY}, ${RUNS} runs (median [min – max])\n`);
console.log(`bare BullMQ (addBulk + Worker)        ${fmt(figures.bare_jobs_per_s)} jobs/s`);
console.log(`Conveyor (Postgres state per change)  ${fmt(figures.conveyor_tasks_per_s)} tasks/s`);
console.log(`ratio                                 ${fmt(figures.ratio, 2)}   (target ≥ 0.70)`);
console.log(`\nwritten to ${writeResult('throughput', { benchmark: 'throughput', machine: machine(), settings: { jobs: JOBS, runs: RUNS, concurrency: CONCURRENCY }, figures })}`);
await db.destroy();
await benchDb.drop();
