#!/usr/bin/env node
// Runs the benchmarks one after another, each beside its baseline, and prints one
// summary table (also written as JSON and Markdown under bench/results/). With --write-docs
// the table replaces the generated section of docs/benchmarks.md.
//   node bench/all.mjs [--quick] [--write-docs]
// --quick runs every benchmark small (a smoke test of the harness, not figures to quote).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, machine } from './lib.mjs';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'write-docs': { type: 'boolean', default: false } } });
const Q = values.quick;

const BENCHMARKS = [
  { name: 'throughput', script: 'throughput.mjs', args: Q ? ['--jobs', '2000', '--runs', '1'] : ['--jobs', '20000', '--runs', '5'] },
  // The same at concurrency 200 (LLM workers run many calls at once): at 50 the worker waits
  // on its group commits more than it computes, and this shows how much of the gap that is.
  {
    name: 'throughput200',
    script: 'throughput.mjs',
    // graphile-worker and pg-boss only at 50 (row 1), to keep the whole run bounded.
    args: Q
      ? ['--jobs', '2000', '--runs', '1', '--concurrency', '200', '--peers', '']
      : ['--jobs', '20000', '--runs', '5', '--concurrency', '200', '--peers', ''],
  },
  // Issue 21: the same tasks through the HTTP API and the worker app, beside bare BullMQ,
  // graphile-worker and pg-boss in their own worker processes.
  {
    name: 'e2e',
    script: 'end-to-end.mjs',
    args: Q ? ['--tasks', '2000', '--runs', '1', '--warm', '200'] : ['--tasks', '20000', '--runs', '3'],
  },
  { name: 'http', script: 'http.mjs', args: Q ? ['--runs', '1', '--seconds', '2'] : ['--runs', '5', '--seconds', '10'] },
  { name: 'pickup', script: 'pickup.mjs', args: Q ? ['--runs', '1', '--tasks', '30'] : ['--runs', '5', '--tasks', '200'] },
  {
    name: 'scheduler',
    script: 'scheduler-burst.mjs',
    args: Q ? ['--sizes', '1000', '--runs', '1', '--idle', '1000'] : ['--sizes', '100000', '--runs', '5', '--idle', '100000'],
  },
  { name: 'budget', script: 'budget-reservation.mjs', args: Q ? ['--runs', '1', '--calls', '50', '--concurrency', '50'] : ['--runs', '5'] },
  { name: 'memory', script: 'memory.mjs', args: Q ? ['--tasks', '20000', '--chunk', '10000'] : ['--tasks', '1000000'] },
  { name: 'rules', script: 'schedule-rules.mjs', args: Q ? ['--runs', '1'] : ['--runs', '5'] },
  { name: 'sizing', script: 'sizing.mjs', args: Q ? ['--tasks', '10000'] : ['--tasks', '200000'] },
  { name: 'ingestion', script: 'ingestion.mjs', args: Q ? ['--quick'] : ['--runs', '3'] },
  { name: 'datasets', script: 'datasets.mjs', args: Q ? ['--quick'] : ['--runs', '3'] },
  { name: 'client', script: 'client.mjs', args: Q ? ['--runs', '1', '--calls', '200'] : ['--runs', '5', '--calls', '3000'] },
  { name: 'task-list', script: 'task-list.mjs', args: Q ? ['--rows', '20000', '--requests', '10'] : ['--rows', '1000000', '--requests', '100'] },
];

function run(bench) {
  return new Promise((resolve, reject) => {
    process.stderr.write(`\n=== ${bench.name}: node bench/${bench.script} ${bench.args.join(' ')}\n`);
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(ROOT, 'bench', bench.script), ...bench.args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('exit', (code) => {
      const file = /written to (\S+\.json)/.exec(out)?.[1];
      if (code !== 0 || !file) return reject(new Error(`${bench.script} failed (exit ${code})`));
      // The file is recorded relative to the repository: results kept in git name no machine's paths.
      resolve({ ...JSON.parse(fs.readFileSync(file, 'utf8')), file: path.relative(ROOT, file), seconds: (Date.now() - started) / 1000 });
    });
  });
}

const results = {};
for (const bench of BENCHMARKS) results[bench.name] = await run(bench);

const m = (v, d = 0) => `${v.median.toFixed(d)} [${v.min.toFixed(d)}–${v.max.toFixed(d)}]`;
const t = results.throughput.figures;
const t200 = results.throughput200.figures;
const e = results.e2e.figures;
const h = results.http.figures;
const p = results.pickup.figures;
const s = results.scheduler.results;
const b = results.budget.figures;
const mem = results.memory.figures;
const r = results.rules.figures;
const ing = results.ingestion.figures.reliefweb;
const ds = results.datasets.figures;
const cl = results.client.figures;
const tl = results['task-list'];
const tlNone = tl.cases.find((c) => c.filter === 'none');
const tlWorst = [...tl.cases].sort((a, b) => b.first_page.p99 - a.first_page.p99)[0];
const sched = (replicas) => Object.values(s).find((r) => r.replicas === replicas);
const check = (ok) => (ok ? 'met' : 'not met');
const rows = [
  [
    '1. End-to-end throughput (no-op tasks, 1 worker, concurrency 50)',
    `${m(t.conveyor_tasks_per_s)} tasks/s`,
    `bare BullMQ ${m(t.bare_jobs_per_s)} jobs/s; BullMQ + an UPDATE per state change ${m(t.naive_tasks_per_s)} tasks/s (${m(t.naive_ratio, 2)}); graphile-worker ${m(t.peers.graphile.jobs_per_s)}, pg-boss ${m(t.peers.pgboss.jobs_per_s)} jobs/s (in-process)`,
    `${m(t.ratio, 2)} (target ≥ 0.70: ${check(t.ratio.median >= 0.7)}); ${m(t.conveyor_over_naive, 1)} × the UPDATE-per-change worker; ${m(t.peers.graphile.conveyor_ratio, 2)} × graphile-worker, ${m(t.peers.pgboss.conveyor_ratio, 2)} × pg-boss`,
  ],
  [
    '1b. The same at concurrency 200 (every side)',
    `${m(t200.conveyor_tasks_per_s)} tasks/s`,
    `bare BullMQ ${m(t200.bare_jobs_per_s)} jobs/s; BullMQ + an UPDATE per state change ${m(t200.naive_tasks_per_s)} tasks/s (${m(t200.naive_ratio, 2)})`,
    `${m(t200.ratio, 2)}; ${m(t200.conveyor_over_naive, 1)} × the UPDATE-per-change worker`,
  ],
  [
    `1c. End to end through the HTTP API: ${results.e2e.settings.tasks.toLocaleString('en')} tasks in batches of 1,000, worker app at concurrency 50`,
    `${m(e.conveyor.tasks_per_s)} tasks/s; ${e.conveyor.cpu_per_task_us.machine_us.median.toFixed(0)} µs machine CPU per task`,
    `bare BullMQ ${m(e.bullmq.tasks_per_s)}; graphile-worker ${m(e.graphile.tasks_per_s)}; pg-boss ${m(e.pgboss.tasks_per_s)} jobs/s`,
    `${m(e.graphile.conveyor_ratio, 2)} × graphile-worker (target ≥ 1.0: ${check(e.graphile.conveyor_ratio.median >= 1)}); ${m(e.bullmq.conveyor_ratio, 2)} × bare BullMQ (target ≥ 0.8: ${check(e.bullmq.conveyor_ratio.median >= 0.8)}); ${m(e.pgboss.conveyor_ratio, 2)} × pg-boss`,
  ],
  [
    '2. Submission, POST /tasks (50 connections)',
    `${m(h.submit.conveyor.rps)} req/s, p50 ${m(h.submit.conveyor.p50_ms)} ms, p99 ${m(h.submit.conveyor.p99_ms)} ms`,
    `bare Express + Queue.add ${m(h.submit.bare.rps)} req/s, p99 ${m(h.submit.bare.p99_ms)} ms`,
    `${m(h.submit.ratio, 2)} (target ≥ 0.50: ${check(h.submit.ratio.median >= 0.5)}; p99 < 50 ms: ${check(h.submit.conveyor.p99_ms.median < 50)})`,
  ],
  [
    '3. Status reads, GET /tasks/{id} (50 connections)',
    `${m(h.read.conveyor.rps)} req/s, p99 ${m(h.read.conveyor.p99_ms)} ms`,
    `bare Express + SELECT ${m(h.read.bare.rps)} req/s, p99 ${m(h.read.bare.p99_ms)} ms`,
    m(h.read.ratio, 2),
  ],
  [
    '4. Pickup latency, submission → STARTED (1 task / 20 ms)',
    `p50 ${m(p.conveyor.p50_ms, 1)} ms, p99 ${m(p.conveyor.p99_ms, 1)} ms`,
    `bare BullMQ add → processor: p50 ${m(p.bare.p50_ms, 1)} ms, p99 ${m(p.bare.p99_ms, 1)} ms`,
    `adds ${(p.conveyor.p50_ms.median - p.bare.p50_ms.median).toFixed(1)} ms at p50, ${(p.conveyor.p99_ms.median - p.bare.p99_ms.median).toFixed(1)} ms at p99`,
  ],
  [
    `5. Scheduler, ${sched(1)?.schedules.toLocaleString('en')} schedules due at once → all enqueued`,
    `1 replica ${m(sched(1).enqueued_s, 2)} s; 3 replicas ${m(sched(3).enqueued_s, 2)} s`,
    `idle with ${results.scheduler.idle.schedules.toLocaleString('en')} schedules: ${results.scheduler.idle.cpu_percent.toFixed(1)} % CPU, ${results.scheduler.idle.rss_mb.toFixed(0)} MB`,
    `3 replicas ${(sched(1).enqueued_s.median / sched(3).enqueued_s.median).toFixed(2)}× as fast as 1`,
  ],
  [
    '6. Budget reservation per LLM call (loopback simulator)',
    `adds ${m(b.added_median_ms, 2)} ms median, ${m(b.added_p99_ms, 2)} ms p99`,
    `200 concurrent: ${m(b.concurrent_calls_per_s.budgeted)} vs bare ${m(b.concurrent_calls_per_s.bare)} calls/s`,
    m(b.concurrent_ratio, 2),
  ],
  [
    `7. Memory (${mem.tasks.toLocaleString('en')} tasks)`,
    `worker RSS idle ${mem.worker_idle_rss_mb.toFixed(0)} MB, peak ${mem.worker_peak_rss_mb.toFixed(0)} MB`,
    `Redis ${mem.redis_used_mb_before.toFixed(2)} MB before, ${mem.redis_used_mb_after.toFixed(2)} MB after (drained samples ${mem.redis_used_mb_drained_min.toFixed(2)}–${mem.redis_used_mb_drained_max.toFixed(2)} MB)`,
    `Redis flat: drained samples within ${(mem.redis_used_mb_drained_max - mem.redis_used_mb_drained_min).toFixed(2)} MB`,
  ],
  [
    `8. Schedule math: the API's event-loop delay while ${results.rules.settings.schedules} worst-case rules are created and listed`,
    `max ${m(r.worst.eventloop_max_ms, 1)} ms, p99 ${m(r.worst.eventloop_p99_ms, 1)} ms (${r.worst.created.median} created, ${r.worst.refused.median} refused)`,
    `${results.rules.settings.schedules} plain crons: max ${m(r.plain.eventloop_max_ms, 1)} ms, p99 ${m(r.plain.eventloop_p99_ms, 1)} ms`,
    `costliest step ${Math.max(...results.rules.per_call.map((c) => c.next_ms)).toFixed(2)} ms of CPU`,
  ],
  [
    `11. Ingestion: a ReliefWeb backfill of ${ing.records.toLocaleString('en')} records (one run, one worker; loopback simulator)`,
    `${m(ing.backfill.conveyor.records_per_s)} records/s; Postgres ${m(ing.backfill.conveyor.postgres_cpu_us)} µs CPU and ${m(ing.backfill.conveyor.wal_bytes)} B WAL per record; unchanged re-run ${m(ing.rerun.conveyor.records_per_s)} records/s`,
    `plain fetch + one INSERT … ON CONFLICT per page ${m(ing.backfill.bare.records_per_s)} records/s; Postgres ${m(ing.backfill.bare.postgres_cpu_us)} µs and ${m(ing.backfill.bare.wal_bytes)} B per record`,
    `${m(ing.backfill.ratio, 2)}; re-run ${m(ing.rerun.ratio, 2)}`,
  ],
  [
    `12. Datasets: a filter over ${ds.rows.toLocaleString('en')} rows (apply_transformation, one worker)`,
    `${m(ds.apply_rows_per_s)} rows/s, worker peak RSS ${m(ds.worker_peak_rss_mb)} MB; upload ${m(ds.upload_rows_per_s)} rows/s`,
    `plain pg loop ${m(ds.bare_rows_per_s)} rows/s, peak ${m(ds.bare_peak_rss_mb)} MB; the whole table in memory: peak ${m(ds.naive_peak_rss_mb)} MB`,
    m(ds.ratio, 2),
  ],
  [
    `13. @conveyor/client: ${results.client.settings.calls.toLocaleString('en')} submissions, then reads, at concurrency ${results.client.settings.concurrency} (one API process)`,
    `submit ${m(cl.client.submit_per_s)}/s, ${m(cl.client.submit_cpu_us)} µs caller CPU each; get ${m(cl.client.get_per_s)}/s, ${m(cl.client.get_cpu_us)} µs`,
    `hand-written fetch: submit ${m(cl.fetch.submit_per_s)}/s, ${m(cl.fetch.submit_cpu_us)} µs; get ${m(cl.fetch.get_per_s)}/s, ${m(cl.fetch.get_cpu_us)} µs`,
    `rate ${m(cl.ratios.submit_rate, 2)} (submit), ${m(cl.ratios.get_rate, 2)} (get); caller CPU ${m(cl.ratios.submit_cpu, 2)}× / ${m(cl.ratios.get_cpu, 2)}×`,
  ],
  [
    `14. GET /tasks at ${tl.settings.rows.toLocaleString('en')} rows, ${tl.settings.requests} requests a case, one at a time (one API process)`,
    `no filter: first page p50 ${tlNone.first_page.median.toFixed(2)} ms, p99 ${tlNone.first_page.p99.toFixed(2)} ms; deep page p50 ${tlNone.deep_page.median.toFixed(2)} ms`,
    `slowest filter (${tlWorst.filter}): first page p50 ${tlWorst.first_page.median.toFixed(2)} ms, p99 ${tlWorst.first_page.p99.toFixed(2)} ms`,
    '—',
  ],
];
const info = machine();
const table = [
  `Run ${info.at.slice(0, 16).replace('T', ' ')} UTC on ${info.cpus} cores (${info.cpu}), ${info.memory_gb} GiB, Node.js ${info.node}, PostgreSQL ${info.versions.postgres.split(' ')[0]}, Redis ${info.versions.redis}, BullMQ ${info.versions.bullmq}, commit ${info.commit}${Q ? ' — QUICK RUN, not for quoting' : ''}.`,
  'Median [min–max] across runs; each figure measured beside its baseline in the same run.',
  '',
  '| benchmark | Conveyor | baseline, same run | ratio / target |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
console.log(`\n${table}\n`);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const base = path.join(ROOT, 'bench', 'results', `summary-${stamp}`);
fs.writeFileSync(`${base}.json`, JSON.stringify({ machine: info, quick: Q, results }, null, 2));
fs.writeFileSync(`${base}.md`, `${table}\n`);
console.log(`written to ${base}.json and .md`);

if (values['write-docs']) {
  const docs = path.join(ROOT, 'docs', 'benchmarks.md');
  const text = fs.readFileSync(docs, 'utf8');
  const [begin, end] = ['<!-- bench:all:begin -->', '<!-- bench:all:end -->'];
  if (!text.includes(begin) || !text.includes(end)) throw new Error(`docs/benchmarks.md has no ${begin} … ${end} section`);
  fs.writeFileSync(docs, `${text.slice(0, text.indexOf(begin) + begin.length)}\n${table}\n${text.slice(text.indexOf(end))}`);
  // The run the docs quote is kept in git beside them, every figure of every run in it.
  const latest = path.join(ROOT, 'bench', 'results', 'latest');
  fs.writeFileSync(`${latest}.json`, JSON.stringify({ machine: info, quick: Q, results }, null, 2));
  fs.writeFileSync(`${latest}.md`, `${table}\n`);
  console.log('docs/benchmarks.md updated; the run is in bench/results/latest.json');
}
