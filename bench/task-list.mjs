#!/usr/bin/env node
// Benchmark: GET /api/v1/tasks at 1,000,000 task rows. Fills a fresh database with generate_series
// (5 tenants, the measured one holding 40 % of the rows; six tasks on five queues; every status;
// two tags each, a third on one in 1,000; a campaign_id in the LLM payloads; one schedule; creation times over ~29 days),
// then asks the real API process for the first page and for a deep page (a cursor half way back)
// with no filter and with each filter, N times each one after another, and reports p50/p99. It
// also prints the index each query's plan starts from (EXPLAIN ANALYZE of the same SQL).
//   node bench/task-list.mjs [--rows 1000000] [--requests 200]
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, UNLIMITED_RATE_LIMITS, createBenchDatabase, deleteKeysWithPrefix, machine, summarise, startApp, writeResult } from './lib.mjs';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, requests: { type: 'string', default: '200' } } });
const ROWS = Number(values.rows);
const REQUESTS = Number(values.requests);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const fromDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const { createDb, createTenantWithKey, encodeCursor, statusFilter } = fromDb(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));
const { sql } = fromDb('kysely');

const benchDb = await createBenchDatabase();
const db = createDb(benchDb.url, { max: 2, queryTimeoutMillis: 1_800_000 });
const prefix = `bench-task-list-${randomUUID().slice(0, 8)}`;
let api;
const result = { machine: machine(), settings: { rows: ROWS, requests: REQUESTS, limit: 50 }, fill_seconds: 0, cases: [] };
try {
  const tenants = [];
  for (let i = 0; i < 5; i += 1) tenants.push(await createTenantWithKey(db, { name: `bench-${i}`, plan: 'growth' }));
  const measured = tenants[0];
  const scheduleId = (
    await sql`insert into schedules (tenant_id, name, kind, cron, timezone, task, payload) values (${measured.tenant.id}, 'bench', 'cron', '0 * * * *', 'UTC', 'ping', '{}') returning id`.execute(
      db,
    )
  ).rows[0].id;

  const started = process.hrtime.bigint();
  const tenantIds = tenants.map((t) => t.tenant.id);
  await sql`
    with kinds(k, task, queue) as (values (0, 'test_task', 'monitoring'), (1, 'ping', 'monitoring'), (2, 'generate_draft', 'generation'),
                                          (3, 'score_post', 'analysis'), (4, 'ingest_source', 'scraping'), (5, 'publish_post', 'publishing'))
    insert into tasks (id, tenant_id, task, queue, status, payload, max_attempts, attempt, created_at, updated_at, tags, origin, schedule_id, planned_at)
    select gen_random_uuid(),
           (${tenantIds}::uuid[])[case when g % 10 < 4 then 1 else 2 + g % 4 end],
           k.task, k.queue,
           (array['SUCCESS','SUCCESS','SUCCESS','SUCCESS','SUCCESS','SUCCESS','FAILURE','PENDING','RETRY','REVOKED'])[1 + (g / 7) % 10],
           case when k.queue in ('generation', 'analysis') then jsonb_build_object('campaign_id', 'c-' || (g % 50)) else '{}'::jsonb end,
           3, 1,
           now() - g * interval '2500 milliseconds', now(),
           array['env=' || case when g % 3 = 0 then 'staging' else 'prod' end, 'campaign:c-' || (g % 20)]
             || case when g % 1000 = 0 then array['rare'] else array[]::text[] end,
           case when g % 100 = 0 then 'schedule' else 'api' end,
           case when g % 100 = 0 and g % 10 < 4 then ${scheduleId}::uuid end,
           case when g % 100 = 0 and g % 10 < 4 then now() - g * interval '2500 milliseconds' end
      from generate_series(1, ${ROWS}) g join kinds k on k.k = g % 6`.execute(db);
  await sql`analyze tasks`.execute(db);
  result.fill_seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(`filled ${ROWS} rows in ${result.fill_seconds.toFixed(1)} s\n`);

  api = await startApp('api', {
    DATABASE_URL: benchDb.url,
    REDIS_URL: redisUrl,
    BULLMQ_PREFIX: prefix,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    API_RATE_LIMITS: UNLIMITED_RATE_LIMITS,
    INGESTION_AUTOSTART: 'false',
  });
  const baseUrl = `http://127.0.0.1:${api.port}/api/v1`;
  const deep = (
    await sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, id from tasks
               where tenant_id = ${measured.tenant.id} and created_at < now() - ${ROWS * 1.25} * interval '1 second' order by created_at desc, id desc limit 1`.execute(
      db,
    )
  ).rows[0];
  const deepCursor = encodeCursor(deep.at, deep.id);
  const daysAgo = (d) => new Date(Date.now() - d * 86_400_000).toISOString();
  const filters = [
    ['none', ''],
    ['status=FAILURE', 'status=FAILURE'],
    ['status=SUCCESS,FAILURE', 'status=SUCCESS,FAILURE'],
    ['task=score_post', 'task=score_post'],
    ['queue=generation', 'queue=generation'],
    ['schedule_id', `schedule_id=${scheduleId}`],
    ['campaign_id=c-2', 'campaign_id=c-2'],
    ['tag=campaign:c-3', 'tag=campaign:c-3'],
    ['tag=env=staging,campaign:c-3', 'tag=env=staging,campaign:c-3'],
    ['tag=rare (1 in 1,000)', 'tag=rare'],
    ['created_after 7 days', `created_after=${daysAgo(7)}`],
    ['created_before 20 days', `created_before=${daysAgo(20)}`],
    ['queue+status+tag', 'queue=analysis&status=FAILURE&tag=env=staging'],
  ];

  const time = async (query) => {
    const samples = [];
    let rows = 0;
    for (let i = 0; i < REQUESTS; i += 1) {
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${baseUrl}/tasks?limit=50${query ? `&${query}` : ''}`, { headers: { Authorization: `Bearer ${measured.apiKey}` } });
      const body = await res.json();
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (res.status !== 200) throw new Error(`GET /tasks?${query}: ${res.status} ${JSON.stringify(body)}`);
      rows = body.tasks.length;
    }
    return { ...summarise(samples), rows };
  };

  /** The index the plan of the first page reads first (the same SQL listTasksForTenant builds). */
  const planOf = async (query) => {
    const params = new URLSearchParams(query);
    const where = [sql`tenant_id = ${measured.tenant.id}`];
    const statuses = params.get('status')?.split(',');
    if (statuses) where.push(statusFilter(statuses));
    if (params.get('task')) where.push(sql`task = ${params.get('task')}`);
    if (params.get('queue')) where.push(sql`queue = ${params.get('queue')}`);
    if (params.get('schedule_id')) where.push(sql`schedule_id = ${params.get('schedule_id')}`);
    if (params.get('campaign_id')) where.push(sql`payload ? 'campaign_id' and payload->>'campaign_id' = ${params.get('campaign_id')}`);
    if (params.get('tag')) where.push(sql`cardinality(tags) > 0 and tags @> ${params.get('tag').split(',')}::text[]`);
    if (params.get('created_after')) where.push(sql`created_at >= ${params.get('created_after')}`);
    if (params.get('created_before')) where.push(sql`created_at < ${params.get('created_before')}`);
    const { rows } =
      await sql`explain (analyze, format json) select * from tasks where ${sql.join(where, sql` and `)} order by created_at desc, id desc limit 51`.execute(db);
    const plan = rows[0]['QUERY PLAN'][0];
    const indexes = [...JSON.stringify(plan.Plan).matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1]);
    return { indexes: [...new Set(indexes)], execution_ms: plan['Execution Time'] };
  };

  await time(''); // warm the connection, the pool and the JIT
  for (const [name, query] of filters) {
    const first = await time(query);
    const deepPage = await time(`${query ? `${query}&` : ''}cursor=${deepCursor}`);
    const plan = await planOf(query);
    result.cases.push({ filter: name, first_page: first, deep_page: deepPage, plan });
    const f = (s) => `p50 ${s.median.toFixed(2)} ms p99 ${s.p99.toFixed(2)} ms (${s.rows} rows)`;
    console.log(
      `${name.padEnd(30)} first ${f(first)}   deep ${f(deepPage)}   plan: ${plan.indexes.join(', ') || 'seq scan'} (${plan.execution_ms.toFixed(2)} ms in Postgres)`,
    );
  }
} finally {
  await api?.stop();
  await db.destroy();
  await benchDb.drop();
  await deleteKeysWithPrefix(prefix, redisUrl);
}
console.log(`\nGET /api/v1/tasks at ${ROWS.toLocaleString('en')} rows, ${REQUESTS} requests a case (one at a time), fill ${result.fill_seconds.toFixed(1)} s`);
console.log(`written to ${writeResult('task-list', result)}`);
