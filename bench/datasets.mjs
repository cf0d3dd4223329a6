#!/usr/bin/env node
// Benchmark: a chat transformation's data side on a large dataset. Rows per second and peak
// memory of apply_transformation, beside bare scripts in the same run.
//   Conveyor: the real API and ONE worker-analysis process on a scratch database. A CSV of
//   --rows rows (id, name, email, age, city; 15 % of emails empty) is generated as it is sent
//   and streamed to POST /api/v1/sessions/{id}/datasets (timed: upload rows/s, and the API's
//   peak RSS); then apply_transformation with the seed's program, "remove rows where email is
//   null", is submitted with POST /api/v1/tasks and timed from the task's started_at to its
//   finished_at. The worker's peak RSS (VmHWM) is read after the run, and its RSS before it.
//   Bare (bench/bare-dataset.mjs, one child process per run): the same stored chunks filtered
//   by a plain pg loop into a table of dataset_chunks' shape (streaming), and the same with
//   every row held in memory first (naive), each with its own peak RSS.
//   node bench/datasets.mjs [--rows 1000000] [--runs 3] [--quick]
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ROOT, UNLIMITED_RATE_LIMITS, acrossRuns, createBenchDatabase, deleteKeysWithPrefix, machine, rssMb, startApp, writeResult } from './lib.mjs';

const requireDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const fromPkg = (name) => requireDb(path.join(ROOT, 'packages', name, 'dist', 'index.js'));
const { Client } = requireDb('pg');
const { createDb, createTenantWithKey } = fromPkg('db');
const { LlmSimulator } = fromPkg('sim');

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    // --heap-mb N: the API and the worker run with --max-old-space-size=N, to show the upload and the run fit a small heap.
    'heap-mb': { type: 'string' },
  },
});
const ROWS = values.quick ? 50_000 : Number(values.rows);
const RUNS = values.quick ? 1 : Number(values.runs);
const NULL_EVERY = 20; // with "% 20 < 3": 15 % of the emails are empty
const PROGRAM = { steps: [{ op: 'filter', action: 'remove', where: { column: 'email', op: 'is_null' } }] };

const peakRssMb = (pid) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** The CSV, made as it is read: never the whole file in this process either. */
function csvBody(rows) {
  const cities = ['Paris', 'Lyon', 'Berlin', 'Madrid', 'Rome', 'Vienna', 'Lisbon'];
  let id = 0;
  return Readable.from(
    (function* () {
      yield 'id,name,email,age,city\n';
      while (id < rows) {
        let block = '';
        for (let i = 0; i < 2000 && id < rows; i += 1) {
          id += 1;
          block += `${id},Person ${id},${id % NULL_EVERY < 3 ? '' : `person${id}@example.com`},${18 + (id % 60)},${cities[id % cities.length]}\n`;
        }
        yield block;
      }
    })(),
  );
}

async function call(api, key, method, route, body) {
  const res = await fetch(`${api}${route}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function bare(settings) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'bare-dataset.mjs')], {
      env: { ...process.env, BARE_DATASET: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`bare-dataset.mjs exited ${code}`))));
  });
}

async function main() {
  const benchDb = await createBenchDatabase();
  const prefix = `bench-ds-${randomBytes(4).toString('hex')}`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const sim = new LlmSimulator();
  const simBase = await sim.listen();
  const services = [];
  const db = createDb(benchDb.url);
  const pg = new Client({ connectionString: benchDb.url });
  await pg.connect();
  try {
    const env = {
      DATABASE_URL: benchDb.url,
      REDIS_URL: redisUrl,
      BULLMQ_PREFIX: prefix,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      API_RATE_LIMITS: UNLIMITED_RATE_LIMITS,
      OPENROUTER_BASE_URL: simBase,
      OPENROUTER_API_KEY: 'sk-sim',
      INGESTION_AUTOSTART: 'false',
    };
    const nodeArgs = values['heap-mb'] ? [`--max-old-space-size=${values['heap-mb']}`] : [];
    const api = await startApp('api', env, 30_000, nodeArgs);
    services.push(api);
    const worker = await startApp('worker-analysis', env, 30_000, nodeArgs);
    services.push(worker);
    const apiUrl = `http://127.0.0.1:${api.port}/api/v1`;
    const { apiKey } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });
    await pg.query('create table bare_chunks (like dataset_chunks including defaults)');

    const runs = [];
    for (let run = 1; run <= RUNS; run += 1) {
      const session = await call(apiUrl, apiKey, 'POST', '/sessions', { name: `bench ${run}` });
      const uploadStarted = process.hrtime.bigint();
      const res = await fetch(`${apiUrl}/sessions/${session.session_id}/datasets?filename=people.csv`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'text/csv' },
        body: csvBody(ROWS),
        duplex: 'half',
      });
      const root = await res.json();
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(root)}`);
      const uploadSeconds = Number(process.hrtime.bigint() - uploadStarted) / 1e9;

      const workerRssBefore = rssMb(worker.pid);
      const submitted = await call(apiUrl, apiKey, 'POST', '/tasks', {
        task: 'apply_transformation',
        payload: { session_id: session.session_id, program: PROGRAM },
      });
      let task;
      for (;;) {
        task = await call(apiUrl, apiKey, 'GET', `/tasks/${submitted.task_id}`);
        if (['SUCCESS', 'FAILURE', 'REVOKED'].includes(task.status)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      if (task.status !== 'SUCCESS') throw new Error(`apply_transformation: ${JSON.stringify(task)}`);
      const times = await pg.query('select extract(epoch from finished_at - started_at)::float8 as s from tasks where id = $1', [submitted.task_id]);
      const applySeconds = times.rows[0].s;
      const result = (await call(apiUrl, apiKey, 'GET', `/tasks/${submitted.task_id}/result`)).result;

      const emailColumn = root.columns.findIndex((c) => c.name === 'email');
      const base = { databaseUrl: benchDb.url, nodeId: root.node_id, table: 'bare_chunks', emailColumn };
      const streaming = await bare({ ...base, outNodeId: randomUUID(), mode: 'streaming' });
      const naive = await bare({ ...base, outNodeId: randomUUID(), mode: 'naive' });
      if (streaming.rows_out !== result.row_count || naive.rows_out !== result.row_count)
        throw new Error(`row counts differ: ${result.row_count} ${streaming.rows_out} ${naive.rows_out}`);
      await pg.query('truncate bare_chunks');

      const row = {
        run,
        upload_rows_per_s: ROWS / uploadSeconds,
        api_peak_rss_mb: peakRssMb(api.pid),
        apply_seconds: applySeconds,
        apply_rows_per_s: ROWS / applySeconds,
        worker_rss_before_mb: workerRssBefore,
        worker_peak_rss_mb: peakRssMb(worker.pid),
        bare_rows_per_s: ROWS / streaming.seconds,
        bare_peak_rss_mb: streaming.peak_rss_mb,
        naive_rows_per_s: ROWS / naive.seconds,
        naive_peak_rss_mb: naive.peak_rss_mb,
        rows_affected: result.rows_affected,
        transformation: result.transformation,
      };
      runs.push(row);
      process.stderr.write(`run ${run}: ${JSON.stringify(row)}\n`);
    }

    const across = (key) => acrossRuns(runs.map((r) => r[key]));
    const figures = {
      rows: ROWS,
      upload_rows_per_s: across('upload_rows_per_s'),
      apply_rows_per_s: across('apply_rows_per_s'),
      bare_rows_per_s: across('bare_rows_per_s'),
      naive_rows_per_s: across('naive_rows_per_s'),
      ratio: acrossRuns(runs.map((r) => r.apply_rows_per_s / r.bare_rows_per_s)),
      worker_peak_rss_mb: across('worker_peak_rss_mb'),
      worker_rss_before_mb: across('worker_rss_before_mb'),
      bare_peak_rss_mb: across('bare_peak_rss_mb'),
      naive_peak_rss_mb: across('naive_peak_rss_mb'),
      api_peak_rss_mb: across('api_peak_rss_mb'),
    };
    const f = (v) =>
      `${Math.round(v.median).toLocaleString('en-US')} [${Math.round(v.min).toLocaleString('en-US')}–${Math.round(v.max).toLocaleString('en-US')}]`;
    console.log(`\nDatasets, ${ROWS.toLocaleString('en-US')} rows, ${RUNS} run(s), median [min–max] (${machine().cpus} cores)`);
    console.log(`  upload (CSV over HTTP, typed, stored)   ${f(figures.upload_rows_per_s)} rows/s; API peak RSS ${f(figures.api_peak_rss_mb)} MB`);
    console.log(
      `  apply_transformation (filter)           ${f(figures.apply_rows_per_s)} rows/s; worker peak RSS ${f(figures.worker_peak_rss_mb)} MB (${f(figures.worker_rss_before_mb)} MB before)`,
    );
    console.log(`  bare streaming loop                     ${f(figures.bare_rows_per_s)} rows/s; peak RSS ${f(figures.bare_peak_rss_mb)} MB`);
    console.log(`  bare, whole table in memory             ${f(figures.naive_rows_per_s)} rows/s; peak RSS ${f(figures.naive_peak_rss_mb)} MB`);
    console.log(`  Conveyor / bare streaming: ${figures.ratio.median.toFixed(2)} [${figures.ratio.min.toFixed(2)}–${figures.ratio.max.toFixed(2)}]`);
    console.log(`  written to ${writeResult('datasets', { machine: machine(), settings: { rows: ROWS, runs: RUNS, program: PROGRAM }, figures, runs })}`);
    return figures;
  } finally {
    for (const s of services.reverse()) await s.stop().catch(() => undefined);
    await pg.end();
    await db.destroy();
    await sim.close();
    await deleteKeysWithPrefix(prefix, redisUrl);
    await benchDb.drop();
  }
}

await main();
