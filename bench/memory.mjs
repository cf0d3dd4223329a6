#!/usr/bin/env node
// Benchmark: memory. The real worker-monitoring process (WORKER_CONCURRENCY=50) against a
// private redis-server (so nothing else shares its memory figure):
//   1. RSS of the worker idle (5 s after it is ready);
//   2. its peak RSS while it runs the tasks below;
//   3. Redis used_memory before, and after every chunk of completed tasks, up to --tasks
//      (default 1,000,000): it must stay flat, since BullMQ keeps no finished job.
// Tasks are no-op pings, inserted in bulk and enqueued in chunks of --chunk while the worker
// runs (at most two chunks waiting).
//   node bench/memory.mjs [--tasks 1000000] [--chunk 20000]
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, createBenchDatabase, freePort, machine, rssMb, startPrivateRedis, startService, writeResult } from './lib.mjs';

const fromDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const fromQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const { createDb, createTenantWithKey, insertTasks } = fromDb(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));
const { TaskProducer, createProducerRedis, queueKey } = fromQueue(path.join(ROOT, 'packages', 'queue', 'dist', 'index.js'));

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '1000000' }, chunk: { type: 'string', default: '20000' } } });
const TASKS = Number(values.tasks);
const CHUNK = Number(values.chunk);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { url: redisUrl, redis, usedMemory, stop: stopRedis } = await startPrivateRedis();

const benchDb = await createBenchDatabase();
const db = createDb(benchDb.url, { max: 4 });
const { tenant } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });
const prefix = `bench-mem-${randomBytes(3).toString('hex')}`;
const producerRedis = createProducerRedis(redisUrl);
await new Promise((r) => producerRedis.once('ready', r));
const producer = new TaskProducer(producerRedis, prefix);

const workerPort = await freePort();
const worker = await startService(
  path.join(ROOT, 'apps', 'worker-monitoring', 'dist', 'main.js'),
  {
    DATABASE_URL: benchDb.url,
    REDIS_URL: redisUrl,
    BULLMQ_PREFIX: prefix,
    WORKER_PORT: String(workerPort),
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: '50',
  },
  `http://127.0.0.1:${workerPort}/healthz`,
);

try {
  await sleep(5000);
  const idleRss = rssMb(worker.pid);
  const redisBefore = await usedMemory();
  process.stderr.write(`idle worker RSS ${idleRss.toFixed(1)} MB; Redis ${redisBefore.toFixed(2)} MB before\n`);

  let peakRss = idleRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(worker.pid))), 200);
  const samples = [];
  const started = Date.now();
  // Feed chunks while the worker runs, keeping at most two chunks queued; after every 100,000
  // let the queue drain and read Redis' memory, which then holds only what finished jobs left.
  const drained = async () => {
    while ((await redis.llen(queueKey(prefix, 'monitoring', 'wait'))) + (await redis.llen(queueKey(prefix, 'monitoring', 'active'))) > 0) await sleep(100);
  };
  for (let fed = 0; fed < TASKS;) {
    while ((await redis.llen(queueKey(prefix, 'monitoring', 'wait'))) > CHUNK) await sleep(50);
    const n = Math.min(CHUNK, TASKS - fed);
    for (let i = 0; i < n; i += 1000) {
      const rows = await insertTasks(
        db,
        Array.from({ length: Math.min(1000, n - i) }, () => ({
          id: randomUUID(),
          tenant_id: tenant.id,
          task: 'ping',
          queue: 'monitoring',
          payload: {},
          max_attempts: 3,
        })),
      );
      await producer.enqueueMany(rows.map(({ row }) => ({ id: row.id, task: 'ping', queue: 'monitoring' })));
    }
    fed += n;
    if (fed % 100_000 === 0 || fed === TASKS) {
      await drained();
      samples.push({ completed: fed, redis_used_mb: await usedMemory(), worker_rss_mb: rssMb(worker.pid) });
      process.stderr.write(
        `${fed} tasks done: Redis ${samples.at(-1).redis_used_mb.toFixed(2)} MB, worker RSS ${samples.at(-1).worker_rss_mb.toFixed(1)} MB, ${((fed / (Date.now() - started)) * 1000).toFixed(0)} tasks/s\n`,
      );
    }
  }
  clearInterval(sampler);
  await sleep(1000);
  const succeeded = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', 'SUCCESS')
    .executeTakeFirstOrThrow();
  if (Number(succeeded.n) !== TASKS) throw new Error(`only ${succeeded.n} of ${TASKS} tasks reached SUCCESS`);
  // Redis is now idle with every job finished: what is left is what finished jobs left behind.
  const redisAfter = await usedMemory();
  const keys = [];
  for (const key of await redis.keys('*')) keys.push({ key: key.replace(prefix, '<prefix>'), bytes: Number(await redis.memory('USAGE', key)) });
  keys.sort((a, b) => b.bytes - a.bytes);
  const figures = {
    worker_idle_rss_mb: idleRss,
    worker_peak_rss_mb: peakRss,
    redis_used_mb_before: redisBefore,
    redis_used_mb_after: redisAfter,
    redis_used_mb_drained_max: Math.max(...samples.map((x) => x.redis_used_mb)),
    redis_used_mb_drained_min: Math.min(...samples.map((x) => x.redis_used_mb)),
    tasks: TASKS,
    seconds: (Date.now() - started) / 1000,
  };
  console.log(`\nMemory: real worker-monitoring process (concurrency 50), private Redis, ${TASKS} no-op tasks\n`);
  console.log(`worker RSS idle                ${idleRss.toFixed(1)} MB`);
  console.log(`worker RSS peak under load     ${peakRss.toFixed(1)} MB`);
  console.log(`Redis used_memory before       ${redisBefore.toFixed(2)} MB`);
  console.log(`Redis used_memory, drained, every 100,000: ${samples.map((x) => x.redis_used_mb.toFixed(2)).join(', ')} MB`);
  console.log(`Redis used_memory after ${TASKS} completed   ${redisAfter.toFixed(2)} MB`);
  console.log(
    `largest keys left: ${keys
      .slice(0, 5)
      .map((k) => `${k.key} ${(k.bytes / 1024).toFixed(0)} KiB`)
      .join(', ')}`,
  );
  console.log(
    `\nwritten to ${writeResult('memory', { benchmark: 'memory', machine: machine(), settings: { tasks: TASKS, chunk: CHUNK, concurrency: 50 }, figures, samples, keys })}`,
  );
} finally {
  await worker.stop();
  await producer.close();
  producerRedis.disconnect();
  await stopRedis();
  await db.destroy();
  await benchDb.drop();
}
