// Shared helpers of the benchmark scripts: percentiles, repeated runs, machine facts, JSON output.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarise(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

/** Median, min and max of one figure over several runs. */
export function acrossRuns(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

export function machine() {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
  } catch {
    // not a checkout
  }
  return {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    commit,
    versions: versions(),
    at: new Date().toISOString(),
  };
}

/** The servers' and the main libraries' versions, so a figure can be traced to what ran. */
function versions() {
  const run = (command) => {
    try {
      return execSync(command, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
        .toString()
        .trim();
    } catch {
      return 'unknown';
    }
  };
  const pgUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const library = (pkg, name) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', pkg, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    postgres: run(`psql "${pgUrl}" -Atc "show server_version"`),
    redis: /redis_version:(\S+)/.exec(run(`redis-cli -u "${redisUrl}" info server`))?.[1] ?? 'unknown',
    bullmq: library('queue', 'bullmq'),
    ioredis: library('queue', 'ioredis'),
    pg: library('db', 'pg'),
    kysely: library('db', 'kysely'),
  };
}

export function writeResult(name, result) {
  const file = path.join(ROOT, 'bench', 'results', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2));
  return file;
}

export const ms = (n) => (Number.isFinite(n) ? `${n.toFixed(2)} ms` : '—');

/**
 * API_RATE_LIMITS for benchmarks: the rate limiter runs on every request (one Redis call)
 * but never refuses one, since they measure the API, not a plan's limit.
 */
export const UNLIMITED_RATE_LIMITS = JSON.stringify({ trial: 1e9, starter: 1e9, growth: 1e9 });

/**
 * The environment of an app a benchmark starts: its database, Redis and BullMQ prefix, production
 * mode, info logs and rate limits out of reach; `extra` adds to it or overrides it.
 */
export function appEnv(databaseUrl, redisUrl, prefix, extra = {}) {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    BULLMQ_PREFIX: prefix,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    API_RATE_LIMITS: UNLIMITED_RATE_LIMITS,
    ...extra,
  };
}

/**
 * An empty scratch database on the local server (named conveyor_bench_<random>, or
 * <prefix>_<random>); drop() removes it, whoever is still connected. drop(waitMs) first waits
 * up to waitMs for the clients to leave: a library that ends its pool without waiting
 * (graphile-worker's release) would otherwise get the termination as an unhandled error.
 */
export async function createScratchDatabase(prefix = 'conveyor_bench') {
  const { createRequire } = await import('node:module');
  const { Client } = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'))('pg');
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `${prefix}_${Math.random().toString(16).slice(2, 10)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async (waitMs = 0) => {
      const connected = async () => (await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name])).rows[0].n;
      for (const deadline = Date.now() + waitMs; Date.now() < deadline && (await connected()) > 0;) await new Promise((r) => setTimeout(r, 20));
      await admin.query(`drop database ${name} with (force)`);
      await admin.end();
    },
  };
}

/** A scratch database on the local server, migrated to Conveyor's schema; drop() removes it. */
export async function createBenchDatabase() {
  const { createRequire } = await import('node:module');
  const requireDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
  const { Client } = requireDb('pg');
  const { migrateUrl } = requireDb(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));
  const scratch = await createScratchDatabase();
  await migrateUrl(scratch.url);
  // BENCH_EXPERIMENT_SQL: SQL run on the scratch database after migrating, to measure a
  // schema change (an index dropped, a fillfactor) against the same baseline in one run.
  if (process.env.BENCH_EXPERIMENT_SQL) {
    const c = new Client({ connectionString: scratch.url });
    await c.connect();
    await c.query(process.env.BENCH_EXPERIMENT_SQL);
    await c.end();
  }
  return scratch;
}

/** Deletes every Redis key under a BullMQ prefix: testkit's helper, shared with the tests. */
export async function deleteKeysWithPrefix(prefix, redisUrl) {
  const { createRequire } = await import('node:module');
  const testkit = createRequire(import.meta.url)(path.join(ROOT, 'packages', 'testkit', 'dist', 'index.js'));
  await testkit.deleteKeysWithPrefix(prefix, redisUrl);
}

/**
 * Starts `node script` with env (stdout and stderr to /dev/null, as a deployed process
 * writes its logs somewhere) and waits until healthUrl answers 200. stop() sends SIGTERM and
 * waits for the exit.
 */
export async function startService(script, env, healthUrl, timeoutMs = 20_000, nodeArgs = []) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...nodeArgs, script], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}) before it was healthy`);
    const ok = await fetch(healthUrl).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${script} was not healthy at ${healthUrl} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Starts one of the real apps (`apps/<name>/dist/main.js`) on a free port, its port variable and
 * health path from the app registry (packages/config/src/apps.json), and waits until it is
 * healthy. Returns startService's handle with the port.
 */
export async function startApp(name, env, timeoutMs = 30_000, nodeArgs = []) {
  const { apps } = JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', 'config', 'src', 'apps.json'), 'utf8'));
  const app = apps.find((a) => a.name === name);
  if (!app) throw new Error(`no app ${name}; one of ${apps.map((a) => a.name).join(', ')}`);
  const port = await freePort();
  const service = await startService(
    path.join(ROOT, 'apps', name, 'dist', 'main.js'),
    { HOST: '127.0.0.1', ...env, [app.portVariable]: String(port) },
    `http://127.0.0.1:${port}${app.healthPath}`,
    timeoutMs,
    nodeArgs,
  );
  return { ...service, port };
}

/** Runs fn over items with at most `limit` calls in flight; resolves to the results in order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** A free TCP port on loopback. */
export async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux); 0 once it is gone. */
export function processCpuMs(pid) {
  const hz = 100; // USER_HZ on Linux
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / hz;
  } catch {
    return 0;
  }
}

/**
 * CPU time used so far, in ms, by: this process, a server process and the Redis server
 * (pids given), every postgres process, the whole machine (all cores, busy time), and each
 * process named in `others` ({ api: pid, worker: pid }). Linux /proc only; take two and
 * subtract (cpuBetween) to attribute a phase's CPU.
 */
export function cpuSnapshot(redisPid, serverPid, others = {}) {
  const procMs = processCpuMs;
  // Per postgres process, so that one exiting between two snapshots takes nothing away.
  const postgres = new Map();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') postgres.set(pid, procMs(pid));
    } catch {
      // gone meanwhile
    }
  }
  return {
    self: procMs(process.pid),
    server: serverPid ? procMs(serverPid) : 0,
    redis: redisPid ? procMs(redisPid) : 0,
    postgres,
    machine: machineCpuMs(),
    others: Object.fromEntries(Object.entries(others).map(([name, pid]) => [name, pid ? procMs(pid) : 0])),
  };
}

/** CPU time (ms) every core of the machine has been busy so far, from /proc/stat. */
export function machineCpuMs() {
  const hz = 100; // USER_HZ on Linux
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7];
  return (busy * 1000) / hz;
}

/**
 * CPU µs per item between two snapshots, by process (`<name>_us` for each of the snapshot's
 * `others`). With postgresPids (from postgresPidsOf), postgres_us counts those processes only
 * and postgres_all_us every postgres process on the machine.
 */
export function cpuBetween(before, after, items, { postgresPids } = {}) {
  // A postgres process that started meanwhile counts whole; one that ended is not known.
  let postgresMs = 0;
  let postgresAllMs = 0;
  for (const [pid, ms] of after.postgres) {
    const used = ms - (before.postgres.get(pid) ?? 0);
    postgresAllMs += used;
    if (!postgresPids || postgresPids.has(pid)) postgresMs += used;
  }
  const per = (k) => ((k === 'postgres' ? postgresMs : after[k] - before[k]) / items) * 1000; // µs per item
  const others = Object.fromEntries(
    Object.keys(after.others ?? {}).map((name) => [`${name}_us`, ((after.others[name] - (before.others?.[name] ?? 0)) / items) * 1000]),
  );
  return {
    node_us: per('self'),
    server_us: per('server'),
    redis_us: per('redis'),
    postgres_us: per('postgres'),
    ...(postgresPids ? { postgres_all_us: (postgresAllMs / items) * 1000 } : {}),
    machine_us: per('machine'),
    ...others,
  };
}

/**
 * The postgres processes doing a benchmark's work, for cpuBetween: the backends connected to
 * the given databases (autovacuum on them included) and the server's shared background
 * processes (WAL writer, checkpointer...), not other databases' backends: on a machine shared
 * with other work, those would count its load as ours. Taken after a phase, so that backends
 * opened meanwhile count; one that ended meanwhile is missed.
 */
export async function postgresPidsOf(databaseNames) {
  const { createRequire } = await import('node:module');
  const { Client } = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'))('pg');
  const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  try {
    const { rows } = await admin.query('select pid from pg_stat_activity where datname = any($1) or datname is null', [databaseNames]);
    return new Set(rows.map((r) => String(r.pid)));
  } finally {
    await admin.end();
  }
}

/** The pid of the Redis server at url (from INFO), to attribute its CPU. */
export async function redisServerPid(url) {
  const { createRequire } = await import('node:module');
  const IORedis = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'))('ioredis');
  const probe = new IORedis(url);
  try {
    return Number(/process_id:(\d+)/.exec(await probe.info('server'))?.[1]);
  } finally {
    probe.disconnect();
  }
}

/**
 * A private redis-server on a free port, no persistence, noeviction (as BullMQ wants it), so
 * that its used_memory is the benchmark's alone. usedMemory() reads it in MiB.
 */
export async function startPrivateRedis() {
  const { spawn } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  const IORedis = createRequire(path.join(ROOT, 'packages', 'queue', 'package.json'))('ioredis');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-bench-redis-'));
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  const redis = new IORedis(url);
  redis.on('error', () => undefined); // refused until redis-server listens
  for (let i = 0; i < 100 && (await redis.ping().catch(() => null)) !== 'PONG'; i += 1) await new Promise((r) => setTimeout(r, 50));
  return {
    url,
    pid: server.pid,
    redis,
    usedMemory: async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]) / 2 ** 20,
    stop: async () => {
      redis.disconnect();
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls check() every intervalMs until it answers truthy (resolving to that answer); throws after timeoutMs naming what. */
export async function waitUntil(check, { intervalMs = 10, timeoutMs = 300_000, what = 'the condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check();
    if (answer) return answer;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
