// The baselines Conveyor's throughput is measured beside: bare BullMQ, graphile-worker and
// pg-boss, each running no-op `ping` jobs at its fastest documented settings. One shape for
// all three, used in-process by bench/throughput.mjs and in a side process by
// bench/peer-worker.mjs (for bench/end-to-end.mjs):
//   const side = await PEERS.x.prepare(redisUrl)   its own prefix or scratch database, schema installed
//   const producer = await PEERS.x.producer(side)  producer.submit(count) adds `count` jobs in batches of 1,000
//   const worker = await PEERS.x.worker(side, { concurrency, onCompleted, consoleLogs })  onCompleted(n) as jobs finish
//   await producer.settled(total)                  true once `total` jobs are finished and committed
//   await worker.close(); await producer.close(); await side.teardown()
// A side is plain data ({ redisUrl, prefix, databaseUrl }), so a side process gets it as env.
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Logger, makeWorkerUtils, run, runMigrations } from 'graphile-worker';
import { PgBoss } from 'pg-boss';
import { ROOT, createScratchDatabase, deleteKeysWithPrefix } from './lib.mjs';

const requireQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const { Pool } = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'))('pg');

const BATCH = 1000;

/** Calls add(n) for batches of at most BATCH up to count, one after another. */
async function inBatches(count, add) {
  for (let i = 0; i < count; i += BATCH) await add(Math.min(BATCH, count - i));
}

/** Settings each peer runs with, as printed with the results. */
export const PEER_SETTINGS = {
  bullmq: 'addBulk of 1,000; one Worker, removeOnComplete; nothing in Postgres',
  graphile: 'addJobs of 1,000; run() with localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0 (its documented fast settings), maxPoolSize 10',
  pgboss:
    'insert of 1,000; queue with notify and useListenNotify; work() with batchSize = concurrency, localConcurrency 1, burstWhenBatchFull, pollingIntervalSeconds 0.5; supervise and schedule off',
};

const bullmq = {
  label: 'bare BullMQ',
  async prepare(redisUrl) {
    const prefix = `bench-peer-${randomBytes(3).toString('hex')}`;
    return { redisUrl, prefix, teardown: () => deleteKeysWithPrefix(prefix, redisUrl) };
  },
  async producer({ redisUrl, prefix }) {
    const { Queue } = requireQueue('bullmq');
    const IORedis = requireQueue('ioredis');
    const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue('monitoring', { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
    return {
      submit: (count) => inBatches(count, (n) => queue.addBulk(Array.from({ length: n }, () => ({ name: 'ping', data: { task_id: randomUUID() } })))),
      // The Worker's completed event comes after BullMQ has moved the job in Redis.
      settled: async () => true,
      close: async () => {
        await queue.close();
        connection.disconnect();
      },
    };
  },
  async worker({ redisUrl, prefix }, { concurrency, onCompleted }) {
    const { Worker } = requireQueue('bullmq');
    const IORedis = requireQueue('ioredis');
    const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
    const worker = new Worker('monitoring', async () => 'pong', { connection, prefix, concurrency });
    worker.on('completed', () => onCompleted(1));
    await worker.waitUntilReady();
    return {
      close: async () => {
        await worker.close();
        connection.disconnect();
      },
    };
  },
};

const graphile = {
  label: 'graphile-worker',
  async prepare(redisUrl) {
    const db = await createScratchDatabase('conveyor_bench_graphile');
    await runMigrations({ connectionString: db.url, logger: silentGraphileLogger() });
    // Its pools end without being waited for: let their clients leave before the drop.
    return { redisUrl, databaseUrl: db.url, teardown: () => db.drop(5000) };
  },
  async producer({ databaseUrl }) {
    const utils = await makeWorkerUtils({ connectionString: databaseUrl, logger: silentGraphileLogger() });
    const specs = (n) => Array.from({ length: n }, () => ({ identifier: 'ping', payload: {} }));
    return {
      submit: (count) => inBatches(count, (n) => utils.addJobs(specs(n))),
      // A job is deleted when its completion commits; events fire before a batched completion does.
      settled: () =>
        utils.withPgClient(async (client) => Number((await client.query('select count(*) as n from graphile_worker._private_jobs')).rows[0].n) === 0),
      close: () => utils.release(),
    };
  },
  async worker({ databaseUrl }, { concurrency, onCompleted, consoleLogs = false }) {
    const runner = await run({
      connectionString: databaseUrl,
      concurrency,
      noHandleSignals: true,
      pollInterval: 2000,
      // Its default logger writes a line per job to the console; in-process it would flood the bench's output.
      ...(consoleLogs ? {} : { logger: silentGraphileLogger() }),
      taskList: {
        ping: async () => {
          onCompleted(1);
        },
      },
      preset: { worker: { maxPoolSize: 10, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    return { close: () => runner.stop() };
  },
};

/** graphile-worker's logger with every line dropped. */
function silentGraphileLogger() {
  return new Logger(() => () => undefined);
}

const pgbossOptions = (databaseUrl) => ({ connectionString: databaseUrl, max: 10, schedule: false, supervise: false, migrate: false });

const pgboss = {
  label: 'pg-boss',
  async prepare(redisUrl) {
    const db = await createScratchDatabase('conveyor_bench_pgboss');
    const boss = new PgBoss({ ...pgbossOptions(db.url), migrate: true });
    boss.on('error', () => undefined);
    await boss.start();
    await boss.createQueue('ping', { notify: true, retryLimit: 0 });
    await boss.stop({ graceful: false });
    return { redisUrl, databaseUrl: db.url, teardown: db.drop };
  },
  async producer({ databaseUrl }) {
    const boss = new PgBoss(pgbossOptions(databaseUrl));
    boss.on('error', () => undefined);
    await boss.start();
    const pool = new Pool({ connectionString: databaseUrl, max: 1 });
    return {
      submit: (count) =>
        inBatches(count, (n) =>
          boss.insert(
            'ping',
            Array.from({ length: n }, () => ({ data: {} })),
          ),
        ),
      settled: async (total) => Number((await pool.query("select count(*) as n from pgboss.job where state = 'completed'")).rows[0].n) >= total,
      close: async () => {
        await pool.end();
        await boss.stop({ graceful: false });
      },
    };
  },
  async worker({ databaseUrl }, { concurrency, onCompleted }) {
    const boss = new PgBoss({ ...pgbossOptions(databaseUrl), useListenNotify: true });
    boss.on('error', () => undefined);
    await boss.start();
    await boss.work('ping', { batchSize: concurrency, localConcurrency: 1, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      onCompleted(jobs.length);
      return 'pong';
    });
    return { close: () => boss.stop({ graceful: true, timeout: 10_000 }) };
  },
};

export const PEERS = { bullmq, graphile, pgboss };
