#!/usr/bin/env node
// Sizing figures for docs/operations.md, measured on real processes:
//   1. Redis used_memory and Postgres disk (tasks table with its indexes and TOAST) per task
//      while tasks wait in a queue, for --tasks tasks (default 200,000) with a payload of
//      --payload-bytes (default 256), scaled to 1,000,000;
//   2. the connections each app holds: Redis clients by name (CLIENT LIST) and Postgres
//      connections by application_name (pg_stat_activity), for the real API, scheduler and
//      worker-monitoring, idle and after a burst of submissions through the API.
// A private redis-server keeps the Redis figure the benchmark's alone.
//   node bench/sizing.mjs [--tasks 200000] [--payload-bytes 256]
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, createBenchDatabase, freePort, machine, startPrivateRedis, startService, writeResult } from './lib.mjs';

const fromDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const fromQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const { createDb, createTenantWithKey, insertTasks } = fromDb(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));
const { TaskProducer, createProducerRedis } = fromQueue(path.join(ROOT, 'packages', 'queue', 'dist', 'index.js'));
const { sql } = fromDb('kysely');

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '200000' }, 'payload-bytes': { type: 'string', default: '256' } } });
const TASKS = Number(values.tasks);
const PAYLOAD = { brief: 'x'.repeat(Number(values['payload-bytes'])) };
const BATCH = 1000;

const redisServer = await startPrivateRedis();
const benchDb = await createBenchDatabase();
const db = createDb(benchDb.url, { max: 4 });
const prefix = `bench-size-${randomBytes(3).toString('hex')}`;
const producerRedis = createProducerRedis(redisServer.url);
await new Promise((r) => producerRedis.once('ready', r));
const producer = new TaskProducer(producerRedis, prefix);
const tableBytes = async () => Number((await sql`select pg_total_relation_size('tasks') as bytes`.execute(db)).rows[0].bytes);

const services = [];
try {
  const { tenant, apiKey } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });
  // 1. Queued tasks: rows as the API writes them, jobs as it enqueues them, no worker.
  const redisBefore = await redisServer.usedMemory();
  const pgBefore = await tableBytes();
  for (let done = 0; done < TASKS; done += BATCH) {
    const rows = await insertTasks(
      db,
      Array.from({ length: Math.min(BATCH, TASKS - done) }, () => ({
        id: randomUUID(),
        tenant_id: tenant.id,
        task: 'generate_draft',
        queue: 'generation',
        payload: PAYLOAD,
        max_attempts: 3,
      })),
    );
    await producer.enqueueMany(rows.map(({ row }) => ({ id: row.id, task: 'generate_draft', queue: 'generation' })));
  }
  await sql`vacuum analyze tasks`.execute(db);
  const perMillion = (bytes) => (bytes / TASKS) * 1e6;
  const queued = {
    redis_mib_per_million: perMillion((await redisServer.usedMemory()) - redisBefore),
    postgres_mib_per_million: perMillion((await tableBytes()) - pgBefore) / 2 ** 20,
  };
  process.stderr.write(
    `${TASKS} queued: Redis ${queued.redis_mib_per_million.toFixed(0)} MiB and Postgres ${queued.postgres_mib_per_million.toFixed(0)} MiB per 1M\n`,
  );

  // 2. Connections of each app: started for real, counted idle and after 500 submissions.
  const env = { DATABASE_URL: benchDb.url, REDIS_URL: redisServer.url, BULLMQ_PREFIX: prefix, HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'warn' };
  const start = async (app, portVariable) => {
    const port = await freePort();
    const service = await startService(
      path.join(ROOT, 'apps', app, 'dist', 'main.js'),
      { ...env, [portVariable]: String(port) },
      `http://127.0.0.1:${port}/healthz`,
    );
    services.push(service);
    return port;
  };
  const apiPort = await start('api', 'API_PORT');
  await start('scheduler', 'SCHEDULER_PORT');
  await start('worker-monitoring', 'WORKER_PORT');
  const count = async () => {
    const redisClients = {};
    for (const line of (await redisServer.redis.client('LIST')).split('\n').filter(Boolean)) {
      const name = /name=(\S*)/.exec(line)[1] || '(unnamed: this benchmark)';
      redisClients[name] = (redisClients[name] ?? 0) + 1;
    }
    const pg =
      await sql`select application_name as app, count(*)::int as n from pg_stat_activity where datname = current_database() group by 1 order by 1`.execute(db);
    return { redis: redisClients, postgres: Object.fromEntries(pg.rows.map((r) => [r.app || '(unnamed: this benchmark)', r.n])) };
  };
  await new Promise((r) => setTimeout(r, 3000));
  const idle = await count();
  const submit = () =>
    fetch(`http://127.0.0.1:${apiPort}/api/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'ping', payload: {} }),
    }).then((r) => r.arrayBuffer());
  for (let i = 0; i < 10; i += 1) await Promise.all(Array.from({ length: 50 }, submit));
  const busy = await count();

  console.log(`\nSizing: ${TASKS} queued tasks (payload ${JSON.stringify(PAYLOAD).length} bytes), private Redis\n`);
  console.log(`Redis used_memory per 1M queued tasks      ${queued.redis_mib_per_million.toFixed(0)} MiB`);
  console.log(`Postgres tasks table per 1M tasks          ${queued.postgres_mib_per_million.toFixed(0)} MiB (with indexes and TOAST)`);
  console.log(`connections, idle:                         ${JSON.stringify(idle)}`);
  console.log(`connections, after 500 submissions:        ${JSON.stringify(busy)}`);
  const result = {
    benchmark: 'sizing',
    machine: machine(),
    settings: { tasks: TASKS, payload_bytes: JSON.stringify(PAYLOAD).length },
    queued,
    connections: { idle, busy },
  };
  console.log(`\nwritten to ${writeResult('sizing', result)}`);
} finally {
  for (const service of services) await service.stop();
  await producer.close();
  producerRedis.disconnect();
  await db.destroy();
  await benchDb.drop();
  await redisServer.stop();
}
