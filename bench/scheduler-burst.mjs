#!/usr/bin/env node
// Benchmark: N schedules due in the same minute — seconds from their due time until every
// fire is committed as a task and enqueued, with one scheduler process and with three; then
// the CPU and memory of one scheduler while 100,000 schedules sit idle. Each burst also
// reports the CPU it cost per fire, by process (the schedulers, Postgres, Redis, the machine).
//   node bench/scheduler-burst.mjs [--sizes 10000,100000] [--runs 3] [--replicas 1,3] [--idle 100000|0]
//     [--scheduler other/apps/scheduler/dist/main.js]  (another build, to compare in one session)
//     [--profile dir]  (each scheduler process writes a CPU profile there: node --cpu-prof)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, acrossRuns, createBenchDatabase, deleteKeysWithPrefix, machine, machineCpuMs, processCpuMs, startPrivateRedis, writeResult } from './lib.mjs';

const requireDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const requireQueue = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'));
const { Client } = requireDb('pg');
const IORedis = requireQueue('ioredis');
const { createTenantWithKey, createDb } = requireDb(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));
const { queueKey } = requireQueue(path.join(ROOT, 'packages', 'queue', 'dist', 'index.js'));

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    runs: { type: 'string', default: '3' },
    replicas: { type: 'string', default: '1,3' },
    idle: { type: 'string', default: '100000' },
    scheduler: { type: 'string', default: path.join(ROOT, 'apps', 'scheduler', 'dist', 'main.js') },
    profile: { type: 'string' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const RUNS = Number(values.runs);
const REPLICAS = values.replicas.split(',').map(Number);
// A Redis of its own, so that its CPU is the burst's alone (other work on the machine shares the usual one).
const privateRedis = await startPrivateRedis();
const redisUrl = privateRedis.url;
if (values.profile) fs.mkdirSync(values.profile, { recursive: true });

const benchDb = await createBenchDatabase();
const databaseUrl = benchDb.url;
const kdb = createDb(databaseUrl, { max: 2 });
const { tenant } = await createTenantWithKey(kdb, { name: 'bench', plan: 'growth' });
await kdb.destroy();
const pg = new Client({ connectionString: databaseUrl });
await pg.connect();
const redis = new IORedis(redisUrl);

/** CPU ms so far of the Postgres backends serving the bench's database (not other databases' on the machine). */
/**
 * Tasks waiting in the queue: jobs of their own, plus the members of envelopes (a batch's fires
 * travel together; the envelope index has an entry per member until the envelope is done).
 */
async function waitingTasks(prefix) {
  const [jobs, members] = await Promise.all([
    redis.lrange(queueKey(prefix, 'monitoring', 'wait'), 0, -1),
    redis.hlen(queueKey(prefix, 'monitoring', 'envelope-of')),
  ]);
  return jobs.filter((id) => !id.startsWith('envelope-')).length + members;
}

async function postgresCpuByPid() {
  const { rows } = await pg.query('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
  return new Map(rows.map((r) => [r.pid, processCpuMs(r.pid)]));
}

function postgresCpuBetween(before, after) {
  let ms = 0;
  for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0); // a backend that ended meanwhile is not known
  return ms;
}

function startScheduler(prefix) {
  const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values.profile)] : [];
  const child = spawn(process.execPath, [...profile, path.resolve(values.scheduler)], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      BULLMQ_PREFIX: prefix,
      SCHEDULER_PORT: '0',
      SCHEDULER_TICK_MS: '200',
      RECONCILE_INTERVAL_MS: '3600000',
      RETENTION_INTERVAL_MS: '3600000',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  return {
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

async function clean(prefix) {
  // Truncated, not deleted: deleting 100,000 schedules checks each against tasks (ON DELETE SET
  // NULL), which took minutes when the planner's statistics still said tasks was empty. Cascade
  // empties what refers to them (task logs, dead letters, the ingestion sources the scheduler
  // makes again at its start). Each run starts from the same state.
  await pg.query('truncate tasks, schedules cascade');
  await pg.query('vacuum analyze tasks, schedules');
  await deleteKeysWithPrefix(prefix, redisUrl);
}

// Hourly, at the minute half an hour from now: the burst's own fire (next_run_at, set below)
// is the only one within a run. With "0 * * * *", a run that crossed the top of the hour saw
// the schedules fired before it fire again, rightly, and the exactly-once check counted them.
async function createDue(n, inSeconds) {
  const cron = `${(new Date().getUTCMinutes() + 30) % 60} * * * *`;
  const { rows } = await pg.query(
    `with ins as (
       insert into schedules (tenant_id, name, kind, cron, timezone, task, payload, next_run_at, misfire_policy)
       select $1, 'bench-' || g, 'cron', $4, 'UTC', 'ping', '{}', date_trunc('second', now()) + make_interval(secs => $3), 'fire_once'
         from generate_series(1, $2) g
       returning next_run_at)
     select min(next_run_at) as next_run_at from ins`,
    [tenant.id, n, inSeconds, cron],
  );
  await pg.query('analyze schedules'); // as autovacuum would have, for schedules made before their time
  return rows[0].next_run_at.getTime();
}

async function burst(n, replicas) {
  const prefix = `bench-sched-${randomBytes(3).toString('hex')}`;
  await clean(prefix);
  const dueAt = await createDue(n, 3);
  const schedulers = Array.from({ length: replicas }, () => startScheduler(prefix));
  await new Promise((r) => setTimeout(r, Math.max(0, dueAt - Date.now())));
  const cpuBefore = { postgres: await postgresCpuByPid(), redis: processCpuMs(privateRedis.pid), machine: machineCpuMs() };
  const schedulersBefore = schedulers.map((s) => processCpuMs(s.child.pid));
  let committedAt;
  for (;;) {
    // Committed when no schedule is due at the burst's time any more: each fire commits with
    // its schedule's advance (one index probe; counting the tasks would load Postgres itself).
    if (!committedAt) {
      const { rows } = await pg.query("select exists (select 1 from schedules where enabled and next_run_at <= $1 and name like 'bench-%') as due", [
        new Date(dueAt),
      ]);
      if (!rows[0].due) committedAt = Date.now();
    }
    if (committedAt && (await waitingTasks(prefix)) >= n) break;
    if (Date.now() - dueAt > 600_000) throw new Error('gave up after 10 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const enqueuedAt = Date.now();
  const perFire = (ms) => (ms / n) * 1000;
  const cpu = {
    scheduler: perFire(schedulers.reduce((sum, s, i) => sum + processCpuMs(s.child.pid) - schedulersBefore[i], 0)),
    postgres: perFire(postgresCpuBetween(cpuBefore.postgres, await postgresCpuByPid())),
    redis: perFire(processCpuMs(privateRedis.pid) - cpuBefore.redis),
    machine: perFire(machineCpuMs() - cpuBefore.machine),
  };
  await Promise.all(schedulers.map((s) => s.stop()));
  // The bench's schedules only: the scheduler also makes (and may fire) the system's own.
  const { rows } = await pg.query(
    "select count(*)::int as n, count(distinct schedule_id)::int as d from tasks t join schedules s on s.id = t.schedule_id where s.name like 'bench-%'",
  );
  if (rows[0].n !== n || rows[0].d !== n) throw new Error(`expected ${n} fires, one per schedule; got ${rows[0].n} (${rows[0].d} schedules)`);
  await clean(prefix);
  return {
    committed_s: (committedAt - dueAt) / 1000,
    enqueued_s: (enqueuedAt - dueAt) / 1000,
    cpu_us_per_fire: cpu,
  };
}

function procStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  return { cpuSeconds: ticks / 100, rss };
}

async function idle(n) {
  const prefix = `bench-idle-${randomBytes(3).toString('hex')}`;
  await clean(prefix);
  await createDue(n, 3600);
  const s = startScheduler(prefix);
  await new Promise((r) => setTimeout(r, 5000)); // start-up
  const a = procStats(s.child.pid);
  await new Promise((r) => setTimeout(r, 20_000));
  const b = procStats(s.child.pid);
  await s.stop();
  await clean(prefix);
  return { cpu_percent: ((b.cpuSeconds - a.cpuSeconds) / 20) * 100, rss_mb: b.rss / 2 ** 20 };
}

const results = {};
for (const n of SIZES) {
  for (const replicas of REPLICAS) {
    const runs = [];
    for (let r = 0; r < RUNS; r += 1) {
      runs.push(await burst(n, replicas));
      process.stderr.write(`${n} schedules, ${replicas} replica(s): run ${r + 1} ${JSON.stringify(runs.at(-1))}\n`);
    }
    results[`${n}_x${replicas}`] = {
      schedules: n,
      replicas,
      committed_s: acrossRuns(runs.map((x) => x.committed_s)),
      enqueued_s: acrossRuns(runs.map((x) => x.enqueued_s)),
      cpu_us_per_fire: Object.fromEntries(Object.keys(runs[0].cpu_us_per_fire).map((k) => [k, acrossRuns(runs.map((x) => x.cpu_us_per_fire[k]))])),
    };
  }
}
const idleFigures = Number(values.idle) > 0 ? await idle(Number(values.idle)) : undefined;

console.log('\nSchedules due in the same minute: seconds from due time (median [min – max] across runs)\n');
console.log('schedules  replicas  all committed            all enqueued             CPU µs per fire: schedulers / Postgres / Redis / machine');
for (const r of Object.values(results)) {
  const f = (v) => `${v.median.toFixed(2)} s [${v.min.toFixed(2)} – ${v.max.toFixed(2)}]`.padEnd(24);
  const c = r.cpu_us_per_fire;
  const cpu = ['scheduler', 'postgres', 'redis', 'machine'].map((k) => c[k].median.toFixed(0)).join(' / ');
  console.log(`${String(r.schedules).padEnd(10)} ${String(r.replicas).padEnd(9)} ${f(r.committed_s)} ${f(r.enqueued_s)} ${cpu}`);
}
if (idleFigures)
  console.log(`\nOne scheduler with ${values.idle} idle schedules: ${idleFigures.cpu_percent.toFixed(1)} % of a core, ${idleFigures.rss_mb.toFixed(0)} MB RSS`);
console.log(
  `written to ${writeResult('scheduler-burst', {
    benchmark: 'scheduler-burst',
    machine: machine(),
    settings: { sizes: SIZES, runs: RUNS, replicas: REPLICAS, tick_ms: 200, scheduler: path.relative(ROOT, path.resolve(values.scheduler)) },
    results,
    ...(idleFigures ? { idle: { schedules: Number(values.idle), ...idleFigures } } : {}),
  })}`,
);

await pg.end();
redis.disconnect();
await privateRedis.stop();
await benchDb.drop();
