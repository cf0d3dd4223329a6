#!/usr/bin/env node
// Benchmark: what a task's own statements cost Postgres, without the apps around them: the
// insert of a batch (createTasks, 1,000 rows a statement, as POST /tasks/batch) and the
// worker's group-committed writes (writeTaskStates: 25 claims of new tasks and 25 results of
// the tasks claimed by the statement before, 50 writes a statement as the e2e run shows).
// One connection per build, so the CPU of its backend (read from /proc) is the statements'
// alone, however loaded the machine is; WAL bytes of the database by pg_walinspect.
// Builds of packages/db compared in one run, alternating which goes first each round:
//   node bench/task-sql-cost.mjs [--builds packages/db/dist,packages/db/dist-base] [--tasks 10000] [--runs 5]
// (a build's dist must sit where it resolves packages/db's dependencies, e.g. a copy of an old
// dist inside packages/db).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { ROOT, acrossRuns, createScratchDatabase, writeResult } from './lib.mjs';
import { walMark, walSince } from './postgres-cost.mjs';

const { values } = parseArgs({
  options: {
    builds: { type: 'string', default: 'packages/db/dist,packages/db/dist-base' },
    tasks: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '5' },
    // SQL run on the first build's database after migrating: a schema change tried before its migration.
    'first-sql': { type: 'string', default: '' },
  },
});
const TASKS = Number(values.tasks);
const RUNS = Number(values.runs);
const BATCH = 1000;
const GROUP = 25;
const requireDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const { Client } = requireDb('pg');
const { TaskPolicies } = requireDb('@conveyor/contracts');
const POLICIES = new TaskPolicies();

const backendCpuMs = (pid) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
};

async function prepare(dist, experimentSql) {
  const lib = requireDb(path.resolve(ROOT, dist, 'index.js'));
  const scratch = await createScratchDatabase('conveyor_sqlcost');
  await lib.migrateUrl(scratch.url);
  const db = lib.createDb(scratch.url, { max: 1 });
  const { tenant } = await lib.createTenantWithKey(db, { name: 'bench', plan: 'growth' });
  const admin = new Client({ connectionString: scratch.url });
  await admin.connect();
  await admin.query('create extension if not exists pg_walinspect');
  if (experimentSql) await admin.query(experimentSql);
  return { dist, label: experimentSql ? `${dist} + first-sql` : dist, lib, scratch, db, tenant, admin };
}

/** Inserts, claims and completes `count` tasks; CPU µs of the backend and WAL bytes per task, by phase. */
async function run(side, count) {
  const { lib, db, tenant, admin } = side;
  // The pool's one connection (it may have been replaced while idle).
  const pid = (await lib.runPrepared(db, 'bench_pid', 'select pg_backend_pid() as pid', []))[0].pid;
  const rows = Array.from({ length: count }, () => lib.taskRow(POLICIES, { tenantId: tenant.id, task: 'ping', payload: {} }));
  const mark = await walMark(admin, `sqlcost_${Math.random().toString(16).slice(2, 10)}`);
  const t0 = backendCpuMs(pid);
  for (let i = 0; i < count; i += BATCH) await lib.createTasks(db, rows.slice(i, i + BATCH));
  const t1 = backendCpuMs(pid);
  let claimed = [];
  for (let i = 0; i <= count; i += GROUP) {
    const claims = rows.slice(i, i + GROUP).map((r) => ({ kind: 'claim', id: r.id, worker: 'bench' }));
    const completions = claimed.map((c) => ({ kind: 'complete', id: c.id, attempt: c.attempt, result: 'pong', retentionMs: 86_400_000 }));
    const answers = await lib.writeTaskStates(db, [...claims, ...completions]);
    claimed = answers.slice(0, claims.length);
    if (claimed.some((c) => !c) || answers.slice(claims.length).some((a) => a !== true)) throw new Error('a write did not apply');
  }
  const t2 = backendCpuMs(pid);
  const wal = await walSince(admin, mark);
  const done = (await admin.query("select count(*)::int as n from tasks where status = 'SUCCESS'")).rows[0].n;
  if (done < count) throw new Error(`${done} of ${count} tasks ended`);
  const entries = wal.by_type['Btree/INSERT_LEAF']?.records ?? 0;
  // Full-page images depend on when the last checkpoint was (the server's, shared): counted apart.
  const fpi = Object.values(wal.by_type).reduce((sum, t) => sum + t.fpi, 0);
  return {
    insert_us: ((t1 - t0) * 1000) / count,
    states_us: ((t2 - t1) * 1000) / count,
    total_us: ((t2 - t0) * 1000) / count,
    wal_bytes: wal.database_bytes / count,
    wal_bytes_without_fpi: (wal.database_bytes - fpi) / count,
    index_entries: entries / count,
  };
}

const sides = [];
for (const [i, dist] of values.builds.split(',').entries()) sides.push(await prepare(dist, i === 0 ? values['first-sql'] : ''));
const results = Object.fromEntries(sides.map((s) => [s.label, []]));
try {
  for (let r = 0; r < RUNS; r += 1) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const figures = await run(side, TASKS);
      results[side.label].push(figures);
      process.stderr.write(
        `run ${r + 1}/${RUNS} ${side.label}: ${Object.entries(figures)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(', ')}\n`,
      );
    }
  }
} finally {
  for (const s of sides) {
    await s.db.destroy();
    await s.admin.end();
    await s.scratch.drop();
  }
}
const summary = {};
for (const [dist, runs] of Object.entries(results)) {
  summary[dist] = Object.fromEntries(Object.keys(runs[0]).map((k) => [k, acrossRuns(runs.map((x) => x[k]))]));
}
for (const [dist, figures] of Object.entries(summary))
  console.log(
    `${dist}: ${Object.entries(figures)
      .map(([k, f]) => `${k} ${f.median.toFixed(1)} [${f.min.toFixed(1)}–${f.max.toFixed(1)}]`)
      .join(', ')}`,
  );
writeResult('task-sql-cost', { tasks: TASKS, runs: RUNS, results, summary });
