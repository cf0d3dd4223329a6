#!/usr/bin/env node
// Benchmark: the test suite's wall time, per package and per test file.
//   node bench/test-times.mjs --package apps/api [--package packages/client …] [--runs 1]
//     runs each package's Jest (as `pnpm --filter <pkg> test` does, in its folder) with --json,
//     alternating packages within each run; prints each package's wall time (median [min–max]
//     over the runs), the machine's load while it ran, and its slowest files with the time
//     spent outside their tests (module loading, beforeAll/afterAll).
//   node bench/test-times.mjs --turbo-summary .turbo/runs/<id>.json
//     reads the summary `turbo run … --summarize` wrote (npm test with TURBO_RUN_SUMMARY=true)
//     and prints every task's duration, the tasks running at once over the run, and the run's end.
// Needs the workspace built and the test environment (TEST_DATABASE_URL, TEST_REDIS_URL,
// CHROMIUM_PATH … as `npm test` sets them). Writes bench/results/test-times-<time>.json.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, acrossRuns, machine, machineCpuMs, writeResult } from './lib.mjs';

const { values } = parseArgs({
  options: {
    package: { type: 'string', multiple: true, default: [] },
    runs: { type: 'string', default: '1' },
    top: { type: 'string', default: '8' },
    'turbo-summary': { type: 'string' },
  },
});
const TOP = Number(values.top);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const range = ({ median, min, max }) => `${seconds(median)} [${seconds(min)}–${seconds(max)}]`;

/** One Jest run of a package: wall, the machine's CPU meanwhile, load averages, and its files' times. */
async function runPackage(dir) {
  const out = path.join(os.tmpdir(), `test-times-${process.pid}-${Date.now()}.json`);
  const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const { test } = JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')).scripts;
  const args = [jest, ...(test.includes('--runInBand') ? ['--runInBand'] : []), '--json', `--outputFile=${out}`];
  const [cpuBefore, loadBefore, started] = [machineCpuMs(), os.loadavg()[0], Date.now()];
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: path.join(ROOT, dir), stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (c) => resolve(c));
  });
  const wallMs = Date.now() - started;
  const report = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  const files = report.testResults
    .map((r) => {
      const inTests = r.assertionResults.reduce((sum, t) => sum + (t.duration ?? 0), 0);
      return {
        file: path.relative(path.join(ROOT, dir), r.name),
        ms: r.endTime - r.startTime,
        outsideTestsMs: r.endTime - r.startTime - inTests,
        status: r.status,
      };
    })
    .sort((a, b) => b.ms - a.ms);
  return {
    code,
    wallMs,
    machineCpuMs: machineCpuMs() - cpuBefore,
    load: [loadBefore, os.loadavg()[0]],
    tests: { total: report.numTotalTests, failed: report.numFailedTests },
    files,
  };
}

async function packages() {
  const runs = Number(values.runs);
  const results = Object.fromEntries(values.package.map((p) => [p, []]));
  for (let run = 0; run < runs; run += 1) {
    // Alternating: each run goes through every package once, in turn.
    for (const dir of values.package) {
      const result = await runPackage(dir);
      results[dir].push(result);
      const failed = result.tests.failed ? `, ${result.tests.failed} FAILED` : '';
      console.log(
        `${dir} run ${run + 1}: ${seconds(result.wallMs)} (${result.tests.total} tests${failed}; machine CPU ${seconds(result.machineCpuMs)}; load ${result.load.map((l) => l.toFixed(1)).join(' → ')})`,
      );
      for (const f of result.files.slice(0, TOP)) console.log(`  ${seconds(f.ms).padStart(8)}  ${f.file} (outside its tests ${seconds(f.outsideTestsMs)})`);
    }
  }
  const summary = Object.fromEntries(Object.entries(results).map(([dir, rs]) => [dir, acrossRuns(rs.map((r) => r.wallMs))]));
  console.log('\nwall per package, median [min–max]:');
  for (const [dir, s] of Object.entries(summary)) console.log(`  ${dir}: ${range(s)} over ${s.runs} run(s)`);
  console.log(`results: ${writeResult('test-times', { machine: machine(), summary, results })}`);
}

/** Every task of a turbo run summary by duration, and how many ran at once. */
function turboSummary(file) {
  const summary = JSON.parse(fs.readFileSync(file, 'utf8'));
  const tasks = summary.tasks
    .map((t) => ({ task: t.taskId, start: t.execution.startTime, end: t.execution.endTime, exitCode: t.execution.exitCode }))
    .sort((a, b) => b.end - b.start - (a.end - a.start));
  const start = Math.min(...tasks.map((t) => t.start));
  const end = Math.max(...tasks.map((t) => t.end));
  console.log(`turbo run: ${seconds(end - start)} from its first task's start to its last task's end; ${tasks.length} tasks`);
  for (const t of tasks.slice(0, TOP * 3)) {
    console.log(`  ${seconds(t.end - t.start).padStart(8)}  ${t.task} (from ${seconds(t.start - start)} to ${seconds(t.end - start)})`);
  }
  const byKind = {};
  for (const t of tasks) byKind[t.task.split('#')[1]] = (byKind[t.task.split('#')[1]] ?? 0) + t.end - t.start;
  console.log(
    `sum of task durations by task: ${Object.entries(byKind)
      .map(([k, ms]) => `${k} ${seconds(ms)}`)
      .join(', ')}`,
  );
  console.log(`results: ${writeResult('test-times-turbo', { machine: machine(), wallMs: end - start, byKind, tasks })}`);
}

if (values['turbo-summary']) turboSummary(values['turbo-summary']);
else if (values.package.length) await packages();
else console.error('usage: node bench/test-times.mjs --package <dir> [--package <dir> …] [--runs n] | --turbo-summary <file>');
