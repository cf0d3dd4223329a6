#!/usr/bin/env node
// Benchmark: end-to-end throughput of no-op tasks — submitted in bulk, run by one worker,
// every state change and result committed in Postgres — beside bare BullMQ (addBulk + one
// Worker, same concurrency, no Postgres) in the same run. Issue 6's first target: ≥ 70 %.
// Also in the same run: "naive", BullMQ with one autocommitted UPDATE per state change, and
// Conveyor's envelope path (issue 21): the same tasks enqueued together (TaskProducer.
// enqueueTogether, envelopes of --envelope-size task ids, one BullMQ job each); and (issue 21)
// graphile-worker and pg-boss at their fastest documented settings, in-process too, each in
// its own scratch database (bench/peers.mjs). Every side adds all its jobs first, then starts
// its worker and is timed until the last job is finished and committed.
//   node bench/throughput.mjs [--jobs 5000] [--runs 5] [--concurrency 50] [--envelope-size 50] [--only conveyor|bare|envelopes] [--peers graphile,pgboss] [--pgbouncer | --unnamed]
// (--only runs one side, e.g. under node --cpu-prof; it prints no ratio. --peers '' leaves the
// graphile-worker and pg-boss sides out.)
// --pgbouncer: Conveyor's Postgres (its submissions and its worker's writes) goes through a
// private PgBouncer in transaction mode, with DATABASE_POOLER=transaction (unnamed statements);
// --unnamed: directly, but with DATABASE_POOLER=transaction, to tell the two costs apart. The
// naive side stays direct either way.
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  ROOT,
  acrossRuns,
  cpuBetween,
  cpuSnapshot,
  createBenchDatabase,
  deleteKeysWithPrefix,
  machine,
  postgresPidsOf,
  redisServerPid,
  waitUntil,
  writeResult,
} from './lib.mjs';
import { PEERS, PEER_SETTINGS } from './peers.mjs';

const requireQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const { Queue, Worker } = requireQueue('bullmq');
const IORedis = requireQueue('ioredis');
const fromPkg = (name) => requireQueue(path.join(ROOT, 'packages', name, 'dist', 'index.js'));
const requireDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const { createDb, createTenantWithKey, insertTasks } = fromPkg('db');
const { GroupCommitTaskWrites, TaskEventPublisher, TaskProducer, TaskWorker, WatchedTasks, createProducerRedis, createWorkerRedis } = fromPkg('queue');
const { TaskPolicies } = fromPkg('contracts');
const { createLogger, createMetricsRegistry, createTaskMetrics } = fromPkg('observability');

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '50' },
    'envelope-size': { type: 'string', default: '50' },
    only: { type: 'string' },
    peers: { type: 'string', default: 'graphile,pgboss' },
    'in-flight': { type: 'string' },
    pgbouncer: { type: 'boolean', default: false },
    unnamed: { type: 'boolean', default: false },
  },
});
const JOBS = Number(values.jobs);
const RUNS = Number(values.runs);
const CONCURRENCY = Number(values.concurrency);
const ENVELOPE_SIZE = Number(values['envelope-size']);
const PEER_SIDES = values.only ? [] : values.peers.split(',').filter(Boolean);
for (const name of PEER_SIDES) if (!PEERS[name]) throw new Error(`unknown peer ${name}; peers: ${Object.keys(PEERS).join(', ')}`);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPid = await redisServerPid(redisUrl);
// The worker logs as deployed (level info: a line as each attempt starts and ends), into a
// stream that drops the lines, so formatting them is measured but no terminal is.
const logger = createLogger({ service: 'bench', level: process.env.LOG_LEVEL ?? 'info', stream: new Writable({ write: (_chunk, _enc, done) => done() }) });

const benchDb = await createBenchDatabase();
const db = createDb(benchDb.url, { max: 20 });
// As many server connections behind PgBouncer as the direct pool has.
const testkit = createRequire(import.meta.url)(path.join(ROOT, 'packages', 'testkit', 'dist', 'index.js'));
const pgbouncer = values.pgbouncer ? await testkit.startPrivatePgbouncer({ postgresUrl: benchDb.url, poolSize: 20 }) : undefined;
const POOLER = values.pgbouncer || values.unnamed ? 'transaction' : 'none';
const conveyorDb = pgbouncer ? createDb(pgbouncer.urlFor(benchDb.url), { max: 20, pooler: POOLER }) : createDb(benchDb.url, { max: 20, pooler: POOLER });
process.stderr.write(`Conveyor's Postgres: ${pgbouncer ? 'through PgBouncer (transaction mode)' : 'direct'}, DATABASE_POOLER=${POOLER}\n`);
const { tenant } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });
const { Pool } = requireDb('pg');
const pool = new Pool({ connectionString: benchDb.url, max: 20 });
pool.on('error', () => undefined); // the scratch database is dropped at the end, under any idle client

/** `count` no-op task rows of the bench tenant, as both Postgres-backed sides insert them. */
const pingRows = (count) =>
  Array.from({ length: count }, () => ({ id: randomUUID(), tenant_id: tenant.id, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1 }));

// BENCH_PROFILE=<file>: a CPU profile of the measured phase only (not the set-up).
async function startProfile() {
  if (!process.env.BENCH_PROFILE) return { stop: async () => undefined };
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      (await import('node:fs')).writeFileSync(process.env.BENCH_PROFILE, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function bareBullmq() {
  const prefix = `bench-bare-${randomBytes(3).toString('hex')}`;
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('monitoring', { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
  for (let i = 0; i < JOBS; i += 1000)
    await queue.addBulk(Array.from({ length: Math.min(1000, JOBS - i) }, () => ({ name: 'ping', data: { task_id: randomUUID() } })));
  let done = 0;
  const started = process.hrtime.bigint();
  const profile = await startProfile();
  const cpuBefore = cpuSnapshot(redisPid);
  const finished = new Promise((resolve) => {
    const worker = new Worker('monitoring', async () => 'pong', { connection, prefix, concurrency: CONCURRENCY });
    worker.on('completed', () => {
      done += 1;
      if (done === JOBS) resolve(worker);
    });
  });
  const worker = await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(redisPid), JOBS, { postgresPids: await postgresPidsOf([benchDb.name]) });
  await profile.stop();
  await worker.close();
  await queue.close();
  connection.disconnect();
  await deleteKeysWithPrefix(prefix, redisUrl);
  return { rate: JOBS / seconds, cpu };
}

// The issue's middle reference, in the same run: BullMQ with one plain Postgres write per
// state change (STARTED, then SUCCESS with the result), each its own autocommitted UPDATE of
// the same task rows, with no group commit, no attempt history, no validation, no timers.
async function naiveBullmq() {
  const prefix = `bench-naive-${randomBytes(3).toString('hex')}`;
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('monitoring', { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
  for (let i = 0; i < JOBS; i += 1000) {
    const rows = await insertTasks(db, pingRows(Math.min(1000, JOBS - i)));
    await queue.addBulk(rows.map(({ row }) => ({ name: 'ping', data: { task_id: row.id }, opts: { jobId: row.id } })));
  }
  const started = process.hrtime.bigint();
  const cpuBefore = cpuSnapshot(redisPid);
  const finished = new Promise((resolve) => {
    let done = 0;
    const worker = new Worker(
      'monitoring',
      async (job) => {
        await pool.query("update tasks set status = 'STARTED', attempt = attempt + 1, started_at = now(), updated_at = now() where id = $1", [
          job.data.task_id,
        ]);
        await pool.query("update tasks set status = 'SUCCESS', result = $2, progress = 100, finished_at = now(), updated_at = now() where id = $1", [
          job.data.task_id,
          JSON.stringify('pong'),
        ]);
        return 'pong';
      },
      { connection, prefix, concurrency: CONCURRENCY },
    );
    worker.on('completed', () => (done += 1) === JOBS && resolve(worker));
  });
  const worker = await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(redisPid), JOBS, { postgresPids: await postgresPidsOf([benchDb.name]) });
  await worker.close();
  await queue.close();
  connection.disconnect();
  await db.deleteFrom('tasks').execute();
  await deleteKeysWithPrefix(prefix, redisUrl);
  return { rate: JOBS / seconds, cpu };
}

/** Conveyor's worker on tasks enqueued one job each, or (envelopes) together in envelopes. */
async function conveyor({ envelopes = false } = {}) {
  const prefix = `bench-conv-${randomBytes(3).toString('hex')}`;
  const producerRedis = createProducerRedis(redisUrl);
  const workerRedis = createWorkerRedis(redisUrl);
  await new Promise((r) => producerRedis.once('ready', r));
  const producer = new TaskProducer(producerRedis, prefix, { envelopeSize: ENVELOPE_SIZE });
  for (let i = 0; i < JOBS; i += 1000) {
    const rows = await insertTasks(conveyorDb, pingRows(Math.min(1000, JOBS - i)));
    const requests = rows.map(({ row }) => ({ id: row.id, task: 'ping', queue: 'monitoring' }));
    await (envelopes ? producer.enqueueTogether(requests) : producer.enqueueMany(requests));
  }
  // As the worker app runs it: live events for the tasks a client streams (none here).
  // BENCH_EVENTS=all publishes every task's events, =none none at all, for an A/B.
  const watchSubscriber = workerRedis.duplicate();
  const watched = new WatchedTasks(workerRedis, prefix);
  await watched.start(watchSubscriber);
  const profile = await startProfile();
  const cpuBefore = cpuSnapshot(redisPid, pgbouncer?.pid);
  const started = process.hrtime.bigint();
  let done = 0;
  const metrics = createTaskMetrics(createMetricsRegistry('bench'));
  const writes = values['in-flight'] ? new GroupCommitTaskWrites(conveyorDb, { metrics, maxInFlight: Number(values['in-flight']) }) : undefined;
  const mode = process.env.BENCH_EVENTS ?? 'watched';
  const events = mode === 'none' ? undefined : new TaskEventPublisher(workerRedis, prefix, mode === 'all' ? undefined : watched);
  const worker = new TaskWorker({
    queue: 'monitoring',
    handlers: { ping: async () => 'pong' },
    policies: new TaskPolicies(),
    db: conveyorDb,
    logger,
    metrics,
    writes,
    events,
    connection: workerRedis,
    prefix,
    concurrency: CONCURRENCY,
  });
  // A job completes once all its tasks' outcomes are committed: an envelope counts its tasks.
  await new Promise((resolve) => worker.worker.on('completed', (job) => (done += job.data.task_ids?.length ?? 1) === JOBS && resolve()));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(redisPid, pgbouncer?.pid), JOBS, { postgresPids: await postgresPidsOf([benchDb.name]) });
  await profile.stop();
  await worker.close(10_000);
  watched.close();
  watchSubscriber.disconnect();
  if (process.env.BENCH_VERBOSE) {
    for (const h of [metrics.groupCommitSize, metrics.groupCommitSeconds]) {
      for (const v of (await h.get()).values.filter((x) => x.metricName.endsWith('_sum') || x.metricName.endsWith('_count')))
        process.stderr.write(`${v.metricName} ${JSON.stringify(v.labels)} ${v.value}\n`);
    }
  }
  const succeeded = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', 'SUCCESS')
    .executeTakeFirstOrThrow();
  if (Number(succeeded.n) < JOBS) throw new Error(`only ${succeeded.n} of ${JOBS} tasks reached SUCCESS`);
  await db.deleteFrom('tasks').execute();
  await producer.close();
  producerRedis.disconnect();
  workerRedis.disconnect();
  await deleteKeysWithPrefix(prefix, redisUrl);
  return { rate: JOBS / seconds, cpu };
}

// graphile-worker or pg-boss (bench/peers.mjs) in this process, in a scratch database of its own.
async function peerSide(name) {
  const peer = PEERS[name];
  const side = await peer.prepare(redisUrl);
  const producer = await peer.producer(side);
  await producer.submit(JOBS);
  let done = 0;
  let allRan;
  const ran = new Promise((resolve) => (allRan = resolve));
  const cpuBefore = cpuSnapshot(redisPid);
  const started = process.hrtime.bigint();
  const worker = await peer.worker(side, { concurrency: CONCURRENCY, onCompleted: (n) => (done += n) >= JOBS && allRan() });
  await ran;
  await waitUntil(() => producer.settled(JOBS), { intervalMs: 5, what: `${name}'s ${JOBS} jobs committed` });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = cpuSnapshot(redisPid);
  const cpu = cpuBetween(cpuBefore, cpuAfter, JOBS, { postgresPids: await postgresPidsOf([new URL(side.databaseUrl).pathname.slice(1)]) });
  await worker.close();
  await producer.close();
  await side.teardown();
  return { rate: JOBS / seconds, cpu };
}

const none = { rate: NaN, cpu: { node_us: NaN, server_us: NaN, redis_us: NaN, postgres_us: NaN, postgres_all_us: NaN, machine_us: NaN } };
// A first, unmeasured round: JIT, connections and Postgres caches warm up for both sides alike.
process.stderr.write('warm-up round (not counted)\n');
if (values.only !== 'conveyor') await bareBullmq();
if (!values.only) await naiveBullmq();
if (!values.only || values.only === 'conveyor') await conveyor();
if (!values.only || values.only === 'envelopes') await conveyor({ envelopes: true });
for (const name of PEER_SIDES) await peerSide(name);
const runs = [];
for (let r = 0; r < RUNS; r += 1) {
  const bare = values.only && values.only !== 'bare' ? none : await bareBullmq();
  const naive = values.only ? none : await naiveBullmq();
  // The two Conveyor sides alternate which goes first, run to run.
  let ours = none;
  let env = none;
  const sides = [
    async () => (ours = !values.only || values.only === 'conveyor' ? await conveyor() : none),
    async () => (env = !values.only || values.only === 'envelopes' ? await conveyor({ envelopes: true }) : none),
  ];
  for (const side of r % 2 ? sides.reverse() : sides) await side();
  const peers = {};
  for (const name of PEER_SIDES) peers[name] = await peerSide(name);
  runs.push({ bare, naive, ours, env, peers, ratio: ours.rate / bare.rate });
  const cpu = (c) =>
    `CPU µs/task node ${c.node_us.toFixed(0)}, redis ${c.redis_us.toFixed(0)}, postgres ${c.postgres_us.toFixed(0)} (all ${c.postgres_all_us.toFixed(0)})${c.server_us ? `, pgbouncer ${c.server_us.toFixed(0)}` : ''}, machine ${c.machine_us.toFixed(0)}`;
  process.stderr.write(
    `run ${r + 1}/${RUNS}: bare ${bare.rate.toFixed(0)} jobs/s (${cpu(bare.cpu)}); naive ${naive.rate.toFixed(0)} tasks/s (${cpu(naive.cpu)}); conveyor ${ours.rate.toFixed(0)} tasks/s (${cpu(ours.cpu)}); ratio ${(ours.rate / bare.rate).toFixed(2)}; envelopes ${env.rate.toFixed(0)} tasks/s (${cpu(env.cpu)}); ratio ${(env.rate / bare.rate).toFixed(2)}` +
      PEER_SIDES.map((name) => `; ${name} ${peers[name].rate.toFixed(0)} jobs/s (${cpu(peers[name].cpu)})`).join('') +
      '\n',
  );
}
const sideOf = (r, side) => r[side] ?? r.peers[side];
const across = (side, key) => acrossRuns(runs.map((r) => sideOf(r, side).cpu[key]));
const cpuFigures = (side) => ({
  node_us: across(side, 'node_us'),
  redis_us: across(side, 'redis_us'),
  postgres_us: across(side, 'postgres_us'),
  postgres_all_us: across(side, 'postgres_all_us'),
  pgbouncer_us: across(side, 'server_us'),
  machine_us: across(side, 'machine_us'),
});
const figures = {
  bare_jobs_per_s: acrossRuns(runs.map((r) => r.bare.rate)),
  conveyor_tasks_per_s: acrossRuns(runs.map((r) => r.ours.rate)),
  ratio: acrossRuns(runs.map((r) => r.ratio)),
  naive_tasks_per_s: acrossRuns(runs.map((r) => r.naive.rate)),
  naive_ratio: acrossRuns(runs.map((r) => r.naive.rate / r.bare.rate)),
  conveyor_over_naive: acrossRuns(runs.map((r) => r.ours.rate / r.naive.rate)),
  envelopes_tasks_per_s: acrossRuns(runs.map((r) => r.env.rate)),
  envelopes_ratio: acrossRuns(runs.map((r) => r.env.rate / r.bare.rate)),
  envelopes_over_single_jobs: acrossRuns(runs.map((r) => r.env.rate / r.ours.rate)),
  cpu_per_task_us: { bare: cpuFigures('bare'), naive: cpuFigures('naive'), conveyor: cpuFigures('ours'), envelopes: cpuFigures('env') },
  // Issue 21's peers: their jobs/s, Conveyor's rate over theirs (single jobs, envelopes), their CPU per job.
  peers: Object.fromEntries(
    PEER_SIDES.map((name) => [
      name,
      {
        jobs_per_s: acrossRuns(runs.map((r) => r.peers[name].rate)),
        conveyor_ratio: acrossRuns(runs.map((r) => r.ours.rate / r.peers[name].rate)),
        envelopes_ratio: acrossRuns(runs.map((r) => r.env.rate / r.peers[name].rate)),
        cpu_per_task_us: cpuFigures(name),
      },
    ]),
  ),
};
const fmt = (v, d = 0) => `${v.median.toFixed(d)} [${v.min.toFixed(d)} – ${v.max.toFixed(d)}]`;
const cpuLine = (c) =>
  `node ${c.node_us.median.toFixed(0)} · redis ${c.redis_us.median.toFixed(0)} · postgres ${c.postgres_us.median.toFixed(0)} (all ${c.postgres_all_us.median.toFixed(0)})${c.pgbouncer_us.median ? ` · pgbouncer ${c.pgbouncer_us.median.toFixed(0)}` : ''} · whole machine ${c.machine_us.median.toFixed(0)}`;
console.log(`\nEnd-to-end throughput, ${JOBS} no-op tasks, concurrency ${CONCURRENCY}, ${RUNS} runs (median [min – max])\n`);
console.log(`bare BullMQ (addBulk + Worker)        ${fmt(figures.bare_jobs_per_s)} jobs/s`);
console.log(`naive (BullMQ + an UPDATE per change) ${fmt(figures.naive_tasks_per_s)} tasks/s   ratio ${fmt(figures.naive_ratio, 2)}`);
console.log(`Conveyor (Postgres state per change)  ${fmt(figures.conveyor_tasks_per_s)} tasks/s   ${fmt(figures.conveyor_over_naive, 2)} × naive`);
console.log(`ratio                                 ${fmt(figures.ratio, 2)}   (target ≥ 0.70)`);
console.log(
  `Conveyor, envelopes of ${String(ENVELOPE_SIZE).padEnd(4)}         ${fmt(figures.envelopes_tasks_per_s)} tasks/s   ratio ${fmt(figures.envelopes_ratio, 2)}, ${fmt(figures.envelopes_over_single_jobs, 2)} × single jobs`,
);
console.log(`CPU µs per job, bare BullMQ           ${cpuLine(figures.cpu_per_task_us.bare)}`);
console.log(`CPU µs per task, naive                ${cpuLine(figures.cpu_per_task_us.naive)}`);
console.log(`CPU µs per task, Conveyor             ${cpuLine(figures.cpu_per_task_us.conveyor)}`);
console.log(`CPU µs per task, Conveyor envelopes   ${cpuLine(figures.cpu_per_task_us.envelopes)}`);
for (const name of PEER_SIDES) {
  const f = figures.peers[name];
  console.log(
    `${PEERS[name].label.padEnd(37)} ${fmt(f.jobs_per_s)} jobs/s   Conveyor ÷ this ${fmt(f.conveyor_ratio, 2)}, envelopes ÷ this ${fmt(f.envelopes_ratio, 2)}`,
  );
  console.log(`CPU µs per job, ${PEERS[name].label.padEnd(21)} ${cpuLine(f.cpu_per_task_us)}`);
}
console.log(
  `\nwritten to ${writeResult('throughput', {
    benchmark: 'throughput',
    machine: machine(),
    settings: {
      jobs: JOBS,
      runs: RUNS,
      concurrency: CONCURRENCY,
      envelope_size: ENVELOPE_SIZE,
      pgbouncer: Boolean(pgbouncer),
      database_pooler: POOLER,
      peers: Object.fromEntries(PEER_SIDES.map((name) => [name, PEER_SETTINGS[name]])),
    },
    figures,
  })}`,
);
await pool.end();
await conveyorDb.destroy();
await pgbouncer?.stop();
await db.destroy();
await benchDb.drop();
