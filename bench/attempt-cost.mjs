#!/usr/bin/env node
// Benchmark: the node side of an attempt alone (issue 21, target 1: the worker's CPU per task).
// Runs N no-op `ping` attempts through runTaskJob, 50 at a time as a worker at concurrency 50
// does, with the real logger (info, one JSON line to /dev/null each), the real task metrics
// and the real time limits and signals, each attempt stoppable from outside as an envelope's
// member is (a revoke); only its state writes are answered from memory, a turn of the event
// loop later, as a group commit answers a batch. So the figure is the attempt's own node
// cost, without Postgres, Redis, BullMQ or the machine's noise in the round trips; it is not
// the worker's whole cost (bench:e2e and bench:throughput measure that).
// Compares builds in the same run, alternating: --roots <this tree>,<another checkout>.
//   node bench/attempt-cost.mjs [--attempts 50000] [--runs 5] [--roots .,../other-checkout]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, acrossRuns, machine, writeResult } from './lib.mjs';

const { values } = parseArgs({
  options: {
    attempts: { type: 'string', default: '50000' },
    runs: { type: 'string', default: '5' },
    roots: { type: 'string', default: ROOT },
  },
});
const ATTEMPTS = Number(values.attempts);
const RUNS = Number(values.runs);
const CONCURRENCY = 50;
const roots = values.roots.split(',').map((r) => path.resolve(r));

/** One build's attempt path, loaded from its own checkout. */
function load(root) {
  const from = (pkg) => createRequire(path.join(root, 'packages', pkg, 'package.json'))(path.join(root, 'packages', pkg, 'dist', 'index.js'));
  const { runTaskJob } = from('queue');
  const { TaskPolicies } = from('contracts');
  const { createLogger, createMetricsRegistry, createTaskMetrics } = from('observability');
  const sink = fs.openSync('/dev/null', 'w');
  const stream = new (createRequire(import.meta.url)('node:stream').Writable)({
    write(chunk, _enc, done) {
      fs.writeSync(sink, chunk);
      done();
    },
  });
  return {
    runTaskJob,
    policies: new TaskPolicies(),
    logger: createLogger({ service: 'worker-monitoring', stream }),
    metrics: createTaskMetrics(createMetricsRegistry('bench')),
  };
}

/** State writes answered from memory one turn of the event loop later, all of a turn together. */
function memoryWrites() {
  let waiting = [];
  const answer = (value) =>
    new Promise((resolve) => {
      waiting.push(() => resolve(value));
      if (waiting.length === 1)
        setImmediate(() => {
          const now = waiting;
          waiting = [];
          for (const done of now) done();
        });
    });
  const tenant = '5b0a4e7e-1d7c-4c59-9a55-2f1b8e0c6d11';
  return {
    claim: (id) => answer({ id, tenant_id: tenant, task: 'ping', queue: 'monitoring', payload: {}, attempt: 1, max_attempts: 1, lost_attempts: 0 }),
    progress: () => answer(true),
    complete: () => answer(true),
    retry: () => answer(true),
    fail: () => answer(true),
    release: () => answer(true),
    defer: () => answer(true),
  };
}

const ids = Array.from({ length: ATTEMPTS }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
const handlers = { ping: async () => 'pong' };

async function run(build) {
  const deps = { queue: 'monitoring', handlers, policies: build.policies, logger: build.logger, metrics: build.metrics, writes: memoryWrites() };
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      // What can stop a member from outside, as each build's envelope makes it: an AbortSignal
      // (before issue 21's second part) or a StopLatch; a build without one is given an AbortSignal.
      const signal = build.latch ? new build.latch() : new AbortController().signal;
      const outcome = await build.runTaskJob(deps, { task_id: id }, signal);
      if (outcome.kind !== 'success') throw new Error(`attempt ended ${outcome.kind}`);
    }
  };
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { cpu_us: (used.user + used.system) / ATTEMPTS, rate: ATTEMPTS / seconds };
}

const builds = roots.map((root) => {
  const build = load(root);
  const latchFile = path.join(root, 'packages', 'queue', 'dist', 'stop-signal.js');
  if (fs.existsSync(latchFile)) build.latch = createRequire(latchFile)(latchFile).StopLatch;
  return { root, ...build };
});
const results = builds.map(() => []);
for (let r = 0; r <= RUNS; r += 1) {
  const order = r % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => builds.length - 1 - i);
  for (const i of order) {
    const result = await run(builds[i]);
    if (r > 0) results[i].push(result);
    process.stderr.write(
      `${r === 0 ? 'warm-up' : `run ${r}/${RUNS}`}: ${builds[i].root} ${result.cpu_us.toFixed(1)} µs CPU/attempt, ${result.rate.toFixed(0)} attempts/s\n`,
    );
  }
}
const fmt = (v, d = 1) => `${v.median.toFixed(d)} [${v.min.toFixed(d)} – ${v.max.toFixed(d)}]`;
console.log(`\nThe node side of an attempt, ${ATTEMPTS} no-op attempts at concurrency ${CONCURRENCY}, ${RUNS} runs (median [min – max])`);
const figures = builds.map((b, i) => ({
  root: b.root,
  cpu_us_per_attempt: acrossRuns(results[i].map((x) => x.cpu_us)),
  attempts_per_s: acrossRuns(results[i].map((x) => x.rate)),
}));
for (const f of figures) console.log(`${f.root.padEnd(28)} ${fmt(f.cpu_us_per_attempt)} µs CPU/attempt   ${fmt(f.attempts_per_s, 0)} attempts/s`);
console.log(
  `\nwritten to ${writeResult('attempt-cost', { benchmark: 'attempt-cost', machine: machine(), settings: { attempts: ATTEMPTS, runs: RUNS, concurrency: CONCURRENCY }, figures, runs: results })}`,
);
