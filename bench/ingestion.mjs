#!/usr/bin/env node
// Benchmark: data ingestion, a large simulated backfill. Records ingested per second and what
// each record costs Postgres (CPU of its processes, WAL, table size), beside a bare script in
// the same run.
//   Conveyor: the real API and ONE worker-scraping process on a scratch database and BullMQ
//   prefix; the DataSourcesSimulator in this process, the sources' base URLs pointed at it,
//   their public token buckets lifted (the bucket is still taken, one Redis call a page). Per
//   source: a backfill, POST /api/v1/ingestion/{source}/run {window} (ReliefWeb: one run over
//   --days days, ~240 reports a day, a page a day; the World Bank: its seven simulated
//   indicators for every economy, 1960–2024, one run a decade, one after another), timed from
//   each run's started_at to its finished_at in ingestion_runs (and by the wall clock from the
//   POST to the task's SUCCESS); then a re-run of the same windows, every record unchanged (the
//   content-hash path).
//   Bare (bench/bare-ingest.mjs, a child process): the same pages from the same simulator with
//   plain fetch, JSON.parse, one multi-row INSERT … ON CONFLICT DO UPDATE per page with plain
//   pg into a table of the same shape (ingestion_records' columns and indexes, no content hash).
// Per record: the worker's (or the bare script's) CPU; the CPU of the Postgres backends of the
// scratch database (and of the server's shared processes, apart); WAL written for the scratch
// database (pg_walinspect) and by the whole cluster; the table's size after. Each phase starts
// right after a CHECKPOINT. The sides alternate which goes first from run to run.
//   node bench/ingestion.mjs [--runs 3] [--days 365] [--sources reliefweb,worldbank] [--bound-s 900] [--quick]
// BENCH_PROFILE=<dir> writes a CPU profile of the worker-scraping process (bench/profile-summary.mjs reads it).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ROOT, acrossRuns, createBenchDatabase, deleteKeysWithPrefix, machine, processCpuMs, startApp, writeResult } from './lib.mjs';
import { postgresCpuSampler, walMark, walSince } from './postgres-cost.mjs';

const requireDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const fromPkg = (name) => requireDb(path.join(ROOT, 'packages', name, 'dist', 'index.js'));
const { Client } = requireDb('pg');
const { createDb, createAdminKey } = fromPkg('db');
const { DataSourcesSimulator } = fromPkg('sim');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    days: { type: 'string', default: '365' },
    sources: { type: 'string', default: 'reliefweb,worldbank' },
    'bound-s': { type: 'string', default: '900' },
    quick: { type: 'boolean', default: false },
  },
});
const Q = values.quick;
const RUNS = Q ? 1 : Number(values.runs);
const DAYS = Q ? 14 : Number(values.days);
const SOURCES = values.sources.split(',').map((s) => s.trim());
// How long one phase may take before the benchmark gives up on it (and the run's own limit).
const BOUND_MS = Number(values['bound-s']) * 1000;
for (const s of SOURCES) if (!['reliefweb', 'worldbank'].includes(s)) throw new Error(`--sources: ${s} is not reliefweb or worldbank`);

// The simulated clock stands still, so that every run and both sides see the same archive.
const SIM_NOW = Date.UTC(2025, 6, 1);
const WINDOW_TO = '2025-01-01T00:00:00.000Z';
const WORLDBANK_INDICATORS = ['NY.GDP.MKTP.CD', 'NY.GDP.PCAP.CD', 'SP.POP.TOTL', 'FP.CPI.TOTL.ZG', 'SL.UEM.TOTL.ZS', 'SP.DYN.LE00.IN', 'NE.EXP.GNFS.ZS'];
const DAY_MS = 86_400_000;
/**
 * Each source's backfill, as the runs it is posted as, one after another: ReliefWeb one run of
 * --days days; the World Bank 1960–2024 in runs of a decade, as one run's window may span at
 * most 3660 days (MAX_WINDOW_DAYS; "split a longer backfill into several runs").
 */
const decade = (year) => ({ from: `${year}-01-01T00:00:00.000Z`, to: `${Math.min(year + 10, 2025)}-01-01T00:00:00.000Z` });
const BACKFILLS = {
  reliefweb: [{ from: new Date(Date.parse(WINDOW_TO) - DAYS * DAY_MS).toISOString(), to: WINDOW_TO }],
  worldbank: (Q ? [2005, 2015] : [1960, 1970, 1980, 1990, 2000, 2010, 2020]).map(decade),
};
const spanOf = (windows) => `${windows[0].from.slice(0, 10)}..${windows.at(-1).to.slice(0, 10)}${windows.length > 1 ? ` in ${windows.length} runs` : ''}`;
const BARE_TABLE = 'bare_ingestion_records';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const sim = new DataSourcesSimulator({ now: () => SIM_NOW, sources: SOURCES });
const simBase = await sim.listen();
const benchDb = await createBenchDatabase();
const databaseName = new URL(benchDb.url).pathname.slice(1);
const prefix = `bench-ingest-${randomBytes(3).toString('hex')}`;
const services = [];
let pg;
try {
  const kdb = createDb(benchDb.url, { max: 1 });
  const adminKey = await createAdminKey(kdb);
  await kdb.destroy();
  // This connection watches and measures; its own backend is left out of the CPU figures.
  pg = new Client({ connectionString: benchDb.url, application_name: 'bench-ingestion-monitor' });
  await pg.connect();
  const monitorPid = (await pg.query('select pg_backend_pid() as pid')).rows[0].pid;
  // Without pg_walinspect (PostgreSQL before 15, or no contrib package) only the cluster's WAL is measured.
  const walInspect = await pg.query('create extension pg_walinspect').then(
    () => true,
    (error) => (process.stderr.write(`no pg_walinspect (${error.message}): the WAL figures are the whole cluster's\n`), false),
  );
  // The bare table: ingestion_records' shape (columns, defaults, checks, primary key, indexes) without the content hash.
  await pg.query(`create table ${BARE_TABLE} (like ingestion_records including all); alter table ${BARE_TABLE} drop column content_hash`);

  const lifted = { capacity: 100_000, refillPerSecond: 100_000 };
  const env = {
    DATABASE_URL: benchDb.url,
    REDIS_URL: redisUrl,
    BULLMQ_PREFIX: prefix,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    // No system schedule fires: no scheduler runs, and the schedules the API sets up start off.
    INGESTION_AUTOSTART: 'false',
    INGESTION_ALLOW_HOSTS: new URL(simBase).host,
    RELIEFWEB_BASE_URL: simBase,
    WORLDBANK_BASE_URL: simBase,
    WORLDBANK_INDICATORS: WORLDBANK_INDICATORS.join(','),
    WORLDBANK_COUNTRIES: 'all',
    // The public APIs' buckets (ReliefWeb 100 then 900 a day, the World Bank 1/s) would be all there is to measure.
    INGESTION_RATE_LIMITS: JSON.stringify({ reliefweb: lifted, worldbank: lifted }),
    INGESTION_RUN_LIMIT_MS: String(Math.min(BOUND_MS, 3_600_000)),
    TASK_OVERRIDES: JSON.stringify({ ingest_source: { softTimeoutMs: BOUND_MS, hardTimeoutMs: BOUND_MS + 30_000 } }),
  };
  process.stderr.write(`starting api and one worker-scraping on ${databaseName}, simulator at ${simBase}\n`);
  const api = await startApp('api', env);
  services.push(api);
  // BENCH_PROFILE=<dir>: a CPU profile of the worker (the whole process), written when it stops.
  const profileArgs = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const worker = await startApp('worker-scraping', env, 30_000, profileArgs);
  services.push(worker);
  // The bare script: one process for the whole benchmark, as the worker is.
  const bareChild = spawn(process.execPath, [path.join(ROOT, 'bench', 'bare-ingest.mjs')], {
    env: { ...process.env, BARE_INGEST: JSON.stringify({ base: simBase, databaseUrl: benchDb.url, table: BARE_TABLE, indicators: WORLDBANK_INDICATORS }) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const bare = {
    child: bareChild,
    lines: createInterface({ input: bareChild.stdout })[Symbol.asyncIterator](),
    exited: new Promise((resolve) => bareChild.once('exit', resolve)),
  };
  services.push({
    stop: async () => {
      bareChild.stdin.end();
      await bare.exited;
    },
  });

  /** Starts measuring a phase: every postgres process's CPU, the WAL from here, the client's and this process's CPU. */
  async function costStart(label) {
    // Each phase starts with the same clean slate: its first write to each page logs the whole page.
    await pg.query('checkpoint');
    const wal = await walMark(pg, walInspect ? `bench_ingest_${randomBytes(4).toString('hex')}` : null);
    const cpu = postgresCpuSampler(databaseName, { excludePids: [monitorPid] });
    return { label, wal, cpu, worker: processCpuMs(worker.pid), api: processCpuMs(api.pid), self: process.cpuUsage() };
  }

  /** The phase's cost per record, from costStart's marks; clientMs is the bare script's own CPU (the worker's is read here). */
  async function costEnd(start, records, clientMs) {
    const postgres = start.cpu.stop();
    const self = process.cpuUsage(start.self);
    const workerMs = clientMs ?? processCpuMs(worker.pid) - start.worker;
    const apiMs = clientMs === undefined ? processCpuMs(api.pid) - start.api : 0;
    const wal = await walSince(pg, start.wal);
    const per = (x) => x / records;
    return {
      client_cpu_us: per(workerMs * 1000),
      api_cpu_us: per(apiMs * 1000),
      postgres_cpu_us: per(postgres.database * 1000),
      postgres_server_cpu_us: per(postgres.server * 1000),
      other_databases_cpu_ms: postgres.other,
      bench_and_simulator_cpu_us: per(self.user + self.system),
      wal_bytes: per(wal.database_bytes),
      cluster_wal_bytes: per(wal.cluster_bytes),
      wal_by_type: Object.fromEntries(Object.entries(wal.by_type).map(([type, w]) => [type, { ...w, bytes_per_record: per(w.bytes) }])),
    };
  }

  const tableBytes = async (table) => Number((await pg.query('select pg_total_relation_size($1::regclass) as n', [table])).rows[0].n);
  const rowCount = async (table) => Number((await pg.query(`select count(*) as n from ${table}`)).rows[0].n);

  /** Conveyor: the source's runs through the admin API, one after another, each until its task has finished. */
  async function conveyorPhase(source, windows = BACKFILLS[source]) {
    const cost = await costStart(`conveyor ${source}`);
    const sum = { records: 0, pages: 0, inserted: 0, updated: 0, unchanged: 0, seconds: 0, wall_seconds: 0 };
    for (const window of windows) {
      const run = await conveyorRun(source, window);
      for (const k of ['pages', 'inserted', 'updated', 'unchanged']) sum[k] += run[k];
      sum.records += run.fetched;
      sum.seconds += (run.finished_at - run.started_at) / 1000;
      sum.wall_seconds += run.wall_seconds;
    }
    return { ...sum, records_per_s: sum.records / sum.seconds, ...(await costEnd(cost, sum.records)) };
  }

  /** One run: POST /ingestion/{source}/run {window}, then its ingestion_runs row once its task has finished. */
  async function conveyorRun(source, window) {
    const posted = Date.now();
    const res = await fetch(`http://127.0.0.1:${api.port}/api/v1/ingestion/${source}/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ window }),
    });
    const body = await res.json();
    if (res.status !== 202) throw new Error(`POST /ingestion/${source}/run answered ${res.status}: ${JSON.stringify(body)}`);
    const deadline = posted + BOUND_MS + 60_000;
    let task;
    for (;;) {
      task = (await pg.query('select status, error from tasks where id = $1', [body.task_id])).rows[0];
      if (['SUCCESS', 'FAILURE', 'REVOKED'].includes(task?.status)) break;
      if (Date.now() > deadline)
        throw new Error(`the ${source} run (task ${body.task_id}) had not finished after ${(BOUND_MS + 60_000) / 1000} s: ${task?.status}`);
      await sleep(100);
    }
    const wallSeconds = (Date.now() - posted) / 1000;
    const run = (await pg.query('select * from ingestion_runs where task_id = $1', [body.task_id])).rows[0];
    if (task.status !== 'SUCCESS' || run?.status !== 'succeeded')
      throw new Error(`the ${source} run did not succeed: task ${task.status} ${JSON.stringify(task.error)}, run ${JSON.stringify(run)}`);
    return { ...run, wall_seconds: wallSeconds };
  }

  /** Bare: the plain script over the same windows, in its process. */
  async function barePhase(source, windows = BACKFILLS[source]) {
    const cost = await costStart(`bare ${source}`);
    bare.child.stdin.write(`${JSON.stringify({ source, windows })}\n`);
    const timer = setTimeout(() => bare.child.kill('SIGTERM'), BOUND_MS);
    const line = await Promise.race([bare.lines.next(), bare.exited.then(() => ({ done: true }))]);
    clearTimeout(timer);
    if (line.done) throw new Error(`the bare ${source} script ended (exit ${bare.child.exitCode}) without a result`);
    const result = JSON.parse(line.value);
    const costs = await costEnd(cost, result.records, result.cpu_ms);
    return { records: result.records, pages: result.pages, seconds: result.seconds, records_per_s: result.records / result.seconds, ...costs };
  }

  /** One source: each side's backfill into an empty table, then its re-run of the same windows. */
  async function scenario(source, bareFirst) {
    await pg.query(`truncate ingestion_records, ${BARE_TABLE}`);
    const out = {};
    const sides = [
      ['conveyor', conveyorPhase, 'ingestion_records'],
      ['bare', barePhase, BARE_TABLE],
    ];
    if (bareFirst) sides.reverse();
    for (const [side, phase, table] of sides) {
      const backfill = await phase(source);
      backfill.rows = await rowCount(table);
      backfill.table_bytes = (await tableBytes(table)) / backfill.rows;
      const rerun = await phase(source);
      rerun.table_bytes = (await tableBytes(table)) / backfill.rows;
      out[side] = { backfill, rerun };
      process.stderr.write(
        `  ${side} ${source}: backfill ${backfill.records} records in ${backfill.seconds.toFixed(1)} s (${backfill.records_per_s.toFixed(0)}/s), re-run ${rerun.records_per_s.toFixed(0)}/s\n`,
      );
    }
    if (out.conveyor.backfill.rows !== out.bare.backfill.rows || out.conveyor.backfill.records !== out.bare.backfill.records)
      throw new Error(`${source}: the sides disagree: ${JSON.stringify({ conveyor: out.conveyor.backfill, bare: out.bare.backfill })}`);
    const c = out.conveyor;
    if (c.backfill.inserted !== c.backfill.rows || c.rerun.unchanged !== c.rerun.records)
      throw new Error(`${source}: Conveyor's counts are not a backfill then an unchanged re-run: ${JSON.stringify(c)}`);
    for (const phase of ['backfill', 'rerun']) out[`${phase}_ratio`] = c[phase].records_per_s / out.bare[phase].records_per_s;
    return out;
  }

  // What shapes the WAL and the table's size: recorded with the figures.
  const postgresSettings = Object.fromEntries(
    (
      await pg.query(
        "select name, setting from pg_settings where name in ('autovacuum', 'shared_buffers', 'synchronous_commit', 'full_page_writes', 'wal_compression', 'checkpoint_timeout', 'max_wal_size')",
      )
    ).rows.map((r) => [r.name, r.setting]),
  );
  // A short run of each side first, not measured: the first run of a process pays its code's warm-up.
  for (const source of SOURCES) {
    const week = [{ from: BACKFILLS[source][0].from, to: new Date(Date.parse(BACKFILLS[source][0].from) + 7 * DAY_MS).toISOString() }];
    await conveyorPhase(source, week);
    await barePhase(source, week);
  }
  const runs = [];
  for (let i = 0; i < RUNS; i += 1) {
    const run = {};
    for (const source of SOURCES) {
      process.stderr.write(`run ${i + 1}/${RUNS}, ${source} ${spanOf(BACKFILLS[source])}, ${i % 2 ? 'bare' : 'Conveyor'} first\n`);
      run[source] = await scenario(source, i % 2 === 1);
    }
    // How busy the machine was: these two cores are shared with other jobs.
    runs.push({ ...run, load_average_1m: os.loadavg()[0] });
  }

  const across = (pick) => acrossRuns(runs.map(pick));
  const FIGURES = [
    'records_per_s',
    'seconds',
    'client_cpu_us',
    'api_cpu_us',
    'postgres_cpu_us',
    'postgres_server_cpu_us',
    'wal_bytes',
    'cluster_wal_bytes',
    'table_bytes',
    'bench_and_simulator_cpu_us',
  ];
  const figures = Object.fromEntries(
    SOURCES.map((source) => [
      source,
      {
        windows: BACKFILLS[source],
        records: runs[0][source].conveyor.backfill.records,
        rows: runs[0][source].conveyor.backfill.rows,
        pages: runs[0][source].conveyor.backfill.pages,
        ...Object.fromEntries(
          ['backfill', 'rerun'].map((phase) => [
            phase,
            {
              ratio: across((r) => r[source][`${phase}_ratio`]),
              conveyor_wall_seconds: across((r) => r[source].conveyor[phase].wall_seconds),
              ...Object.fromEntries(
                ['conveyor', 'bare'].map((side) => [side, Object.fromEntries(FIGURES.map((k) => [k, across((r) => r[source][side][phase][k])]))]),
              ),
            },
          ]),
        ),
      },
    ]),
  );

  const fmt = (v, d = 0) => `${v.median.toFixed(d)} [${v.min.toFixed(d)}–${v.max.toFixed(d)}]`;
  console.log(
    `\nIngestion, a simulated backfill: the real API and one worker-scraping vs a plain fetch + pg script; ${RUNS} run(s), median [min–max]${Q ? ' — QUICK RUN, not for quoting' : ''}\n`,
  );
  console.log(
    '| source, phase | records | Conveyor rec/s | bare rec/s | ratio | client CPU µs/rec (worker · bare) | Postgres CPU µs/rec (Conveyor · bare) | WAL bytes/rec (Conveyor · bare) | table bytes/rec (Conveyor · bare) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [source, f] of Object.entries(figures)) {
    for (const phase of ['backfill', 'rerun']) {
      const p = f[phase];
      const both = (k, d = 0) => `${fmt(p.conveyor[k], d)} · ${fmt(p.bare[k], d)}`;
      console.log(
        `| ${source} ${phase === 'rerun' ? 're-run (unchanged)' : 'backfill'}, ${spanOf(f.windows)} | ${f.records} (${f.pages} pages) | ${fmt(p.conveyor.records_per_s)} | ${fmt(p.bare.records_per_s)} | ${fmt(p.ratio, 2)} | ${both('client_cpu_us')} | ${both('postgres_cpu_us')} | ${both(walInspect ? 'wal_bytes' : 'cluster_wal_bytes')} | ${both('table_bytes')} |`,
      );
    }
  }
  console.log(
    "\nPostgres CPU: the scratch database's backends (this script's monitoring connection left out); the server's shared processes (checkpointer, writers), and the cluster's whole WAL, are in the JSON, shared with whatever else runs on the server.",
  );
  for (const [source, f] of Object.entries(figures)) {
    const wall = ['backfill', 'rerun'].map((phase) => `${phase} ${fmt(acrossRuns(runs.map((r) => f.records / r[source].conveyor[phase].wall_seconds)))}`);
    console.log(`Conveyor ${source} by the wall clock (POST → task SUCCESS), rec/s: ${wall.join(', ')}`);
  }
  if (walInspect) {
    console.log('\nWAL of the scratch database by record type, bytes/record (first run; FPI: of it in full-page images):');
    for (const source of SOURCES)
      for (const phase of ['backfill', 'rerun'])
        for (const side of ['conveyor', 'bare']) {
          const { wal_by_type: byType, records } = runs[0][source][side][phase];
          const top = Object.entries(byType).slice(0, 4);
          console.log(
            `  ${source} ${phase} ${side}: ${top.map(([type, w]) => `${type} ${w.bytes_per_record.toFixed(0)}${w.fpi ? ` (FPI ${(w.fpi / records).toFixed(0)})` : ''}`).join(', ')}`,
          );
        }
  }
  console.log(
    `\nwritten to ${writeResult('ingestion', {
      benchmark: 'ingestion',
      machine: machine(),
      settings: {
        runs: RUNS,
        quick: Q,
        days: DAYS,
        sources: SOURCES,
        backfills: BACKFILLS,
        simulator_now: new Date(SIM_NOW).toISOString(),
        worldbank_indicators: WORLDBANK_INDICATORS,
        worker_processes: 1,
        rate_limits: 'lifted (capacity and refill 100,000/s) for the sources measured',
        bound_s: BOUND_MS / 1000,
        postgres: postgresSettings,
      },
      notes: [
        'Conveyor rec/s: records fetched / (finished_at − started_at) of the run in ingestion_runs (Postgres clock); wall_seconds: POST → the task SUCCESS, seen by polling every 100 ms. Bare rec/s: records / the script loop (connected, first fetch → last INSERT).',
        'Each phase starts right after a CHECKPOINT: its WAL includes the full-page images of the pages it touches first.',
        "wal_bytes: WAL records touching a relation of the scratch database, with their transactions' commit records (pg_walinspect); cluster_wal_bytes: pg_wal_lsn_diff over the phase, every database's.",
        "postgres_cpu_us: CPU of the scratch database's backends (from /proc), the monitoring connection excluded; postgres_server_cpu_us: the shared server processes; other_databases_cpu_ms: what other databases used meanwhile (a shared server).",
        'table_bytes: pg_total_relation_size / rows after the phase; with autovacuum off (settings.postgres), a re-run that rewrites rows leaves its dead versions in the table.',
      ],
      figures,
      runs,
    })}`,
  );
} finally {
  for (const s of services.reverse()) await s.stop();
  await sim.close();
  await pg?.end();
  await deleteKeysWithPrefix(prefix, redisUrl);
  await benchDb.drop();
}
