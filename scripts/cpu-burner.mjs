#!/usr/bin/env node
// A bounded CPU burner, to run the tests on a machine that is busy doing something else:
//
//   node scripts/cpu-burner.mjs [--seconds 1200] [--threads <cores>] &
//   npm test
//
// It keeps --threads worker threads (default: one per core) spinning for --seconds (default
// 1200, i.e. 20 minutes) and then exits by itself; SIGINT or SIGTERM stop it at once. The
// threads live in this one process, so nothing is left behind when it ends, however it ends
// (even kill -9). It uses no network and no disk.
import os from 'node:os';
import { Worker, isMainThread, workerData } from 'node:worker_threads';

if (!isMainThread) {
  // Spin until the deadline, looking at the clock only every few million iterations.
  const { until } = workerData;
  let x = 0;
  while (Date.now() < until) for (let i = 0; i < 5e6; i++) x = (x * 31 + i) % 1000003;
  process.exit(0);
}

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`cpu-burner: --${name} needs a positive number (got ${process.argv[i + 1]})`);
    process.exit(2);
  }
  return value;
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log('usage: node scripts/cpu-burner.mjs [--seconds 1200] [--threads <cores>]');
  process.exit(0);
}
const seconds = option('seconds', 1200);
const threads = Math.round(option('threads', os.availableParallelism?.() ?? os.cpus().length));
const until = Date.now() + seconds * 1000;

console.log(`cpu-burner: pid ${process.pid}, ${threads} busy threads for ${seconds} s`);
for (let i = 0; i < threads; i++) new Worker(new URL(import.meta.url), { workerData: { until } });

const stop = (why) => {
  console.log(`cpu-burner: stopping (${why})`);
  process.exit(0);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
// The threads stop at the deadline on their own; this is the bound should one not.
setTimeout(() => stop('time is up'), seconds * 1000 + 1000).unref();
