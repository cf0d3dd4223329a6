#!/usr/bin/env node
// Where bench/pickup.mjs's latency goes: the same submissions (POST /api/v1/tasks to the real API
// process, run by the real worker-monitoring process, one every --interval ms), with each task's
// path cut into stages read from the clocks the parts already keep, all on this machine:
//   client   the moment the request was sent (Date.now(), as bench/pickup.mjs)
//   ratelimit Redis: the API's rate-limit call for the request (MONITOR)
//   insert   Postgres: the INSERT's now() (tasks.created_at)
//   add      Redis: the API's addStandardJob for the task (MONITOR)
//   fetch    Redis: the worker's next moveToActive after that add (MONITOR)
//   started  Postgres: the claim's now() (tasks.started_at, what bench/pickup.mjs reads)
//   handler  the worker's "task started" log line (after the claim committed)
// MONITOR costs Redis some CPU, so totals here run a little above bench/pickup.mjs's.
// --roots takes checkouts to compare in the same run (an A/B: another commit's build in a scratch
// worktree), alternating, each with a scratch database migrated by its own build.
//   node bench/pickup-stages.mjs [--roots /a,/b] [--runs 3] [--tasks 200] [--interval 20]
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { ROOT, createScratchDatabase, deleteKeysWithPrefix, freePort, machine, processCpuMs, summarise, writeResult, appEnv } from './lib.mjs';

const { values } = parseArgs({
  options: {
    roots: { type: 'string', default: ROOT },
    runs: { type: 'string', default: '3' },
    tasks: { type: 'string', default: '200' },
    interval: { type: 'string', default: '20' },
  },
});
const ROOTS = values.roots.split(',').map((r) => path.resolve(r));
const RUNS = Number(values.runs);
const TASKS = Number(values.tasks);
const INTERVAL = Number(values.interval);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const STAGES = [
  'client→insert',
  'insert→add',
  'add→fetch',
  'fetch→handed',
  'handed→processor',
  'processor→claim',
  'flush in flight',
  'claim→started',
  'total',
  'insert round trip',
  'claim round trip',
  'started→handler',
  'add→response',
];
const TRACE = path.join(path.dirname(new URL(import.meta.url).pathname), 'pickup-trace.cjs');

/** BullMQ's Lua scripts by the sha ioredis sends them under (EVALSHA). */
function scriptNames(root) {
  const scripts = createRequire(path.join(root, 'packages', 'queue', 'package.json'))('bullmq/dist/cjs/scripts/index.js');
  const names = new Map();
  for (const script of Object.values(scripts)) if (script?.content) names.set(createHash('sha1').update(script.content).digest('hex'), script.name);
  return names;
}

/** Starts an app with its output in a file (as a deployed process writes its logs); stop() sends SIGTERM. */
async function startApp(root, app, env, portVar, logFile) {
  const port = await freePort();
  const out = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, [path.join(root, 'apps', app, 'dist', 'main.js')], {
    env: { ...process.env, ...env, [portVar]: String(port) },
    stdio: ['ignore', out, 'ignore'],
  });
  fs.closeSync(out);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (const deadline = Date.now() + 30_000; ;) {
    if (child.exitCode !== null) throw new Error(`${app} exited (${child.exitCode}) before it was healthy`);
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`${app} not healthy in 30 s`);
    await sleep(50);
  }
  return { port, pid: child.pid, stop: async () => (child.exitCode === null && child.kill('SIGTERM'), await exited) };
}

/** When each task's handler was called: the worker's "task started" lines. */
function handlerTimes(logFile) {
  const at = new Map();
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"task started"')) continue;
    const entry = JSON.parse(line);
    at.set(entry.task_id, Date.parse(entry.timestamp));
  }
  return at;
}

/** Statements each process sent on a connection for the first time, in the last side's run. */
let connections;
let cpuPerTask;

async function side(root) {
  const fromDb = createRequire(path.join(root, 'packages', 'db', 'package.json'));
  const { createDb, createTenantWithKey, migrateUrl } = fromDb(path.join(root, 'packages', 'db', 'dist', 'index.js'));
  const names = scriptNames(root);
  const scratch = await createScratchDatabase();
  await migrateUrl(scratch.url);
  const db = createDb(scratch.url, { max: 2 });
  const { apiKey } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });
  const prefix = `bench-stages-${randomBytes(3).toString('hex')}`;
  const env = appEnv(scratch.url, redisUrl, prefix, { HOST: '127.0.0.1' });
  // Redis' own record of every command, with its time (redis-cli monitor): the API's adds, the worker's fetches.
  const monitor = spawn('redis-cli', ['-u', redisUrl, 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const events = [];
  readline.createInterface({ input: monitor.stdout }).on('line', (line) => {
    const m = /^(\d+\.\d+) \[\d+ [\d.:]+\] "evalsha" "([0-9a-f]{40})"/i.exec(line);
    const name = m && names.get(m[2]);
    if (name === 'addStandardJob' || name === 'moveToActive' || name === 'moveToFinished') events.push({ at: Number(m[1]) * 1000, name, args: line });
  });
  const traceFile = (app) => path.join(os.tmpdir(), `${prefix}-${app}-trace.json`);
  const logFile = (app) => path.join(os.tmpdir(), `${prefix}-${app}.log`);
  const traced = (app) => ({ ...env, NODE_OPTIONS: `--require ${TRACE}`, PICKUP_TRACE_FILE: traceFile(app) });
  const api = await startApp(root, 'api', traced('api'), 'API_PORT', logFile('api'));
  const worker = await startApp(root, 'worker-monitoring', traced('worker'), 'WORKER_PORT', logFile('worker'));
  const sent = new Map();
  const answered = new Map();
  try {
    await sleep(500);
    events.length = 0;
    const cpuBefore = [api.pid, worker.pid].map(processCpuMs);
    for (let i = 0; i < TASKS; i += 1) {
      const at = Date.now();
      const res = await fetch(`http://127.0.0.1:${api.port}/api/v1/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ task: 'ping', payload: {} }),
      });
      if (res.status !== 202) throw new Error(`submission answered ${res.status}: ${await res.text()}`);
      const id = (await res.json()).task_id;
      sent.set(id, at);
      answered.set(id, Date.now());
      await sleep(INTERVAL);
    }
    let rows;
    const cpuAfterSubmitting = [api.pid, worker.pid].map(processCpuMs);
    for (;;) {
      rows = await db
        .selectFrom('tasks')
        .select(['id', 'created_at', 'started_at'])
        .where('id', 'in', [...sent.keys()])
        .where('started_at', 'is not', null)
        .execute();
      if (rows.length >= TASKS) break;
      await sleep(50);
    }
    // redis-cli prints every client's commands, other work on this Redis too: it may lag behind.
    const addAt = new Map();
    const fetches = [];
    for (const deadline = Date.now() + 20_000; addAt.size < TASKS && Date.now() < deadline;) {
      await sleep(500);
      addAt.clear();
      fetches.length = 0;
      for (const e of events) {
        if (e.name === 'addStandardJob') {
          const id = /task_id\\?":\\?"([0-9a-f-]{36})/.exec(e.args)?.[1];
          if (id) addAt.set(id, e.at);
        } else if (e.name === 'moveToActive') fetches.push(e.at);
      }
    }
    process.stderr.write(`moveToActive calls per task: ${(fetches.length / TASKS).toFixed(2)}\n`);
    if (addAt.size < TASKS) process.stderr.write(`MONITOR showed the add of ${addAt.size} of ${TASKS} tasks\n`);
    await worker.stop();
    await api.stop();
    const handlerAt = handlerTimes(logFile('worker'));
    const [apiTrace, workerTrace] = ['api', 'worker'].map((app) => JSON.parse(fs.readFileSync(traceFile(app), 'utf8')));
    const marks = new Map();
    for (const [id, what, at] of workerTrace.marks) {
      const of = marks.get(id) ?? {};
      of[what] ??= at;
      marks.set(id, of);
    }
    const flushes = workerTrace.statements.filter((q) => q.kind === 'task states');
    // How long a task-state statement already in flight when the processor was called went on
    // before the claim was sent: what the claim waited for, unless it could overtake it.
    const inFlight = (from, to) => Math.max(0, ...flushes.filter((f) => f.sent < from && f.answered > from).map((f) => Math.min(f.answered, to) - from));
    const claimOf = (at) => flushes.find((f) => f.claims > 0 && Math.abs(f.sent - at) < 0.001);
    // The submission's INSERT: the last one sent before its now() (created_at, whole microseconds).
    const inserts = apiTrace.statements.filter((q) => q.kind === 'insert');
    const insertOf = (createdAt) => inserts.filter((q) => q.sent <= createdAt + 1).at(-1);
    const fresh = (statements) => statements.filter((q) => q.fresh).length;
    connections = { api: fresh(apiTrace.statements), worker: fresh(workerTrace.statements) };
    // CPU per task while submitting (a tick is 10 ms: a rough figure), in µs.
    cpuPerTask = { api: ((cpuAfterSubmitting[0] - cpuBefore[0]) * 1000) / TASKS, worker: ((cpuAfterSubmitting[1] - cpuBefore[1]) * 1000) / TASKS };
    const order = new Map([...sent.keys()].map((id, i) => [id, i]));
    return rows.map((r) => {
      const add = addAt.get(r.id);
      const fetchAt = fetches.find((f) => f >= add);
      const client = sent.get(r.id);
      const insert = r.created_at.getTime();
      const started = r.started_at.getTime();
      const m = marks.get(r.id) ?? {};
      const insertStatement = insertOf(insert);
      return {
        n: order.get(r.id),
        'client→insert': insert - client,
        'insert→add': add - insert,
        'add→fetch': fetchAt - add,
        'fetch→handed': m.fetched - fetchAt,
        'handed→processor': m.processor - m.fetched,
        'processor→claim': m['claim sent'] - m.processor,
        'flush in flight': inFlight(m.processor, m['claim sent']),
        'claim→started': started - m['claim sent'],
        total: started - client,
        'insert round trip': insertStatement ? insertStatement.answered - insertStatement.sent : NaN,
        'claim round trip': m['claim answered'] - m['claim sent'],
        'started→handler': handlerAt.get(r.id) - started,
        'add→response': answered.get(r.id) - add,
        fresh: [insertStatement?.fresh && 'insert', claimOf(m['claim sent'])?.fresh && 'claim'].filter(Boolean).join('+') || '-',
      };
    });
  } finally {
    monitor.kill();
    await worker.stop();
    await api.stop();
    for (const app of ['api', 'worker']) for (const file of [traceFile(app), logFile(app)]) fs.rmSync(file, { force: true });
    await db.destroy();
    await scratch.drop();
    await deleteKeysWithPrefix(prefix, redisUrl);
  }
}

const fmt = (n) => (Number.isFinite(n) ? n.toFixed(1).padStart(7) : '      —');
const results = Object.fromEntries(ROOTS.map((r) => [r, []]));
for (let run = 0; run < RUNS; run += 1) {
  const order = run % 2 === 0 ? ROOTS : [...ROOTS].reverse();
  for (const root of order) {
    const tasks = await side(root);
    tasks.sort((a, b) => a.total - b.total);
    const stages = Object.fromEntries(STAGES.map((s) => [s, summarise(tasks.map((t) => t[s]).filter(Number.isFinite))]));
    // The slowest tasks' stages: which part made the tail.
    const slowest = tasks.slice(-Math.max(2, Math.ceil(tasks.length / 100)));
    results[root].push({ stages, slowest, fresh_connections: connections, cpu_us_per_task: cpuPerTask });
    process.stderr.write(`run ${run + 1}/${RUNS} ${root}: total p50 ${stages.total.median} p99 ${stages.total.p99} ms\n`);
    console.log(`\n${root}, run ${run + 1}: per stage, ms   ${STAGES.map((s) => s.padStart(18)).join('')}`);
    for (const q of ['median', 'p95', 'p99', 'max']) console.log(`  ${q.padEnd(30)}${STAGES.map((s) => fmt(stages[s][q]).padStart(18)).join('')}`);
    for (const t of slowest) console.log(`  ${`slow task #${t.n} (fresh: ${t.fresh})`.padEnd(30)}${STAGES.map((s) => fmt(t[s]).padStart(18)).join('')}`);
    console.log(`  statements on a fresh connection: API ${connections.api}, worker ${connections.worker}`);
    console.log(`  CPU per task while submitting: API ${cpuPerTask.api.toFixed(0)} µs, worker ${cpuPerTask.worker.toFixed(0)} µs`);
  }
}
const file = writeResult('pickup-stages', {
  benchmark: 'pickup-stages',
  machine: machine(),
  load: fs.readFileSync('/proc/loadavg', 'utf8').trim(),
  settings: { roots: ROOTS, runs: RUNS, tasks: TASKS, interval_ms: INTERVAL },
  results,
});
console.log(`\nwritten to ${file}`);
