#!/usr/bin/env node
// Benchmark: schedule math never blocks the API's event loop. A real API process; 50
// worst-case RRULE and cron schedules are created (the never-firing and unsafe ones are
// refused: they count) and the tenant's schedules listed 20 times, while the API's own
// event-loop delay is measured (prom-client's nodejs_eventloop_lag_max_seconds, from
// perf_hooks.monitorEventLoopDelay, reset at every scrape of /metrics) and a client probes
// /healthz every 10 ms. Baseline, same run, alternating: the same with 50 plain crons.
// Then the CPU cost of one call of the schedule math per rule, in this process.
//   node bench/schedule-rules.mjs [--runs 5]
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, UNLIMITED_RATE_LIMITS, acrossRuns, createBenchDatabase, deleteKeysWithPrefix, freePort, machine, startService, writeResult } from './lib.mjs';

const fromDb = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'));
const { createDb, createTenantWithKey } = fromDb(path.join(ROOT, 'packages', 'db', 'dist', 'index.js'));
const scheduling = createRequire(import.meta.url)(path.join(ROOT, 'packages', 'scheduling', 'dist', 'index.js'));

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);
const SCHEDULES = 50;
const LISTS = 20;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const list = (n, from = 0) => Array.from({ length: n }, (_, i) => i + from).join(',');
const rrule = (text, dtstart = '2026-01-01T09:00') => ({ kind: 'rrule', rrule: text, dtstart });
/** Rules at or past the bounds of the expansion, each the costliest of its kind. */
const WORST = [
  // Never fire (refused): before, each walked period by period to the year 9999.
  rrule('FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30'),
  rrule('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30'),
  rrule('FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30'),
  rrule('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'),
  rrule('FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30'),
  rrule(`FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;BYSETPOS=${list(10, 1)}`),
  rrule(`FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;BYMINUTE=${list(60)}`),
  { kind: 'cron', cron: '0 0 * 2 1#5' }, // every 28 years: past the cron horizon
  rrule('FREQ=HOURLY;BYHOUR=24'), // looped forever inside rrule.js before
  // Sparse but valid: every step walks hundreds of periods.
  rrule('FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO'),
  rrule('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO'),
  rrule('FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=29'),
  rrule('FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13'),
  { kind: 'cron', cron: '0 0 29 2 *' },
  // DTSTART far back: before, expanded from 1970 on every call.
  rrule('FREQ=MINUTELY;INTERVAL=5', '1970-01-01T00:00'),
  rrule('FREQ=SECONDLY', '1970-01-01T00:00'),
  // Dense and irregular.
  rrule(`FREQ=DAILY;BYHOUR=${list(24)};BYMINUTE=${list(60)}`),
  rrule('FREQ=YEARLY;BYMONTHDAY=1;BYHOUR=0;BYMINUTE=0;BYSECOND=0,1;BYSETPOS=1,3,5,7,9,11,13,-2,-1'),
];
const PLAIN = { kind: 'cron', cron: '0 9 * * 1-5' };

const benchDb = await createBenchDatabase();
const db = createDb(benchDb.url, { max: 2 });
const { tenant, apiKey } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });
const port = await freePort();
const prefix = `bench-rules-${randomBytes(3).toString('hex')}`;
const api = await startService(
  path.join(ROOT, 'apps', 'api', 'dist', 'main.js'),
  {
    DATABASE_URL: benchDb.url,
    REDIS_URL: redisUrl,
    BULLMQ_PREFIX: prefix,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    API_PORT: String(port),
    HOST: '127.0.0.1',
    API_RATE_LIMITS: UNLIMITED_RATE_LIMITS,
  },
  `http://127.0.0.1:${port}/healthz`,
);
const base = `http://127.0.0.1:${port}`;
const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

/** The API's event-loop delay since the previous scrape, from its own /metrics. */
async function eventLoop() {
  const text = await (await fetch(`${base}/metrics`)).text();
  const gauge = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { max_ms: gauge('nodejs_eventloop_lag_max_seconds'), p99_ms: gauge('nodejs_eventloop_lag_p99_seconds') };
}

/** Runs fn over items, `concurrency` at a time. */
async function pool(items, concurrency, fn) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (queue.length) await fn(queue.shift());
    }),
  );
}

async function phase(kind) {
  await db.deleteFrom('schedules').where('tenant_id', '=', tenant.id).execute();
  const rules = Array.from({ length: SCHEDULES }, (_, i) => (kind === 'worst' ? WORST[i % WORST.length] : PLAIN));
  await eventLoop(); // resets the histogram: what follows is this phase's
  let probing = true;
  const healthz = [];
  let healthzFailed = 0;
  const prober = (async () => {
    while (probing) {
      const started = performance.now();
      await fetch(`${base}/healthz`).then(
        (res) => res.arrayBuffer(),
        () => (healthzFailed += 1),
      );
      healthz.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const statuses = {};
  const requestMs = [];
  const timed = async (url, init) => {
    const started = performance.now();
    const res = await fetch(url, init);
    await res.arrayBuffer();
    requestMs.push(performance.now() - started);
    return res.status;
  };
  await pool(
    rules.map((rule, i) => ({ ...rule, name: `${kind}-${i}`, task: 'ping' })),
    5,
    async (body) => {
      const status = await timed(`${base}/api/v1/schedules`, { method: 'POST', headers, body: JSON.stringify(body) });
      statuses[status] = (statuses[status] ?? 0) + 1;
    },
  );
  await pool(Array.from({ length: LISTS }), 2, async () => {
    const status = await timed(`${base}/api/v1/schedules?limit=${SCHEDULES}`, { headers });
    if (status !== 200) throw new Error(`GET /schedules answered ${status}`);
  });
  probing = false;
  await prober;
  const loop = await eventLoop();
  if (statuses[500]) throw new Error(`${statuses[500]} requests answered 500`);
  return {
    eventloop_max_ms: loop.max_ms,
    eventloop_p99_ms: loop.p99_ms,
    healthz_max_ms: Math.max(...healthz),
    healthz_failed: healthzFailed,
    request_max_ms: Math.max(...requestMs),
    created: statuses[201] ?? 0,
    refused: statuses[400] ?? 0,
  };
}

const runs = [];
try {
  // Warm-up, not counted: code optimised, connections open (the first expansion of an RRULE in
  // a fresh process costs several times a warm one, once).
  await phase('plain');
  await phase('worst');
  for (let r = 0; r < RUNS; r += 1) {
    const plain = await phase('plain');
    const worst = await phase('worst');
    runs.push({ plain, worst });
    process.stderr.write(
      `run ${r + 1}/${RUNS}: event-loop max ${worst.eventloop_max_ms.toFixed(1)} ms worst rules vs ${plain.eventloop_max_ms.toFixed(1)} ms plain crons; /healthz max ${worst.healthz_max_ms.toFixed(1)} vs ${plain.healthz_max_ms.toFixed(1)} ms; ${worst.created} created, ${worst.refused} refused\n`,
    );
  }
} finally {
  await api.stop();
  await deleteKeysWithPrefix(prefix, redisUrl);
}

// The CPU cost of one call per rule, in this process: the next occurrence (the preview and
// the tick's step), min of 20 after a warm-up.
function cpuMs(fn) {
  let best = Infinity;
  for (let i = 0; i < 25; i += 1) {
    const before = process.cpuUsage();
    try {
      fn();
    } catch {
      // a refused rule costs what finding that out costs
    }
    const used = process.cpuUsage(before);
    if (i >= 5) best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}
const now = new Date();
const perCall = WORST.map((rule) => {
  const recurrence = { ...rule, timezone: 'UTC' };
  let outcome = 'fires';
  try {
    if (rule.kind === 'rrule') scheduling.checkRrule(rule.rrule, rule.dtstart);
    scheduling.nextOccurrences(recurrence, now, 6);
  } catch (error) {
    outcome = `refused: ${error.message.slice(0, 60)}`;
  }
  return { rule: rule.rrule ?? rule.cron, outcome, next_ms: cpuMs(() => scheduling.nextOccurrence(recurrence, now)) };
});
const second = (ms) => new Date(Math.floor(now.getTime() / 1000) * 1000 - ms);
const plans = [
  ['hourly cron, on time', { kind: 'cron', cron: '30 * * * *', timezone: 'UTC' }, new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000), 'fire_once'],
  ['every-second cron, 1 s late', { kind: 'cron', cron: '* * * * * *', timezone: 'UTC' }, second(1000), 'fire_once'],
  ['weekly RRULE, on time', { kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR', dtstart: '2020-01-06T00:00', timezone: 'UTC' }, second(0), 'fire_once'],
  ['every-second cron, down 200 days, fire_all', { kind: 'cron', cron: '* * * * * *', timezone: 'UTC' }, second(200 * 86_400_000), 'fire_all'],
  [
    'every-second RRULE, down 200 days, fire_all',
    { kind: 'rrule', rrule: 'FREQ=SECONDLY', dtstart: '2020-01-01T00:00', timezone: 'UTC' },
    second(200 * 86_400_000),
    'fire_all',
  ],
  [
    'leap-day Mondays (MONTHLY), on time',
    { kind: 'rrule', rrule: 'FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO', dtstart: '2020-01-01T00:00', timezone: 'UTC' },
    second(0),
    'fire_once',
  ],
].map(([label, recurrence, due, policy]) => ({ label, plan_ms: cpuMs(() => scheduling.planFires(recurrence, due, now, policy)) }));

const pick = (side, key) => acrossRuns(runs.map((r) => r[side][key]));
const figures = {};
for (const side of ['plain', 'worst']) {
  figures[side] = Object.fromEntries(
    ['eventloop_max_ms', 'eventloop_p99_ms', 'healthz_max_ms', 'healthz_failed', 'request_max_ms', 'created', 'refused'].map((k) => [k, pick(side, k)]),
  );
}
const fmt = (v, d = 1) => `${v.median.toFixed(d)} [${v.min.toFixed(d)} – ${v.max.toFixed(d)}]`;
console.log(`\nAPI event loop while ${SCHEDULES} schedules are created and listed ${LISTS} times, ${RUNS} runs (median [min – max])\n`);
console.log('                          worst-case rules         plain crons (baseline)');
for (const [key, label] of [
  ['eventloop_max_ms', 'event-loop delay, max'],
  ['eventloop_p99_ms', 'event-loop delay, p99'],
  ['healthz_max_ms', '/healthz latency, max'],
  ['request_max_ms', 'slowest request'],
]) {
  console.log(`${label.padEnd(26)}${`${fmt(figures.worst[key])} ms`.padEnd(25)}${fmt(figures.plain[key])} ms`);
}
console.log(
  `worst-case rules: ${figures.worst.created.median} created, ${figures.worst.refused.median} refused (400) of ${SCHEDULES}; /healthz probes failed: ${figures.worst.healthz_failed.max} (worst), ${figures.plain.healthz_failed.max} (plain)`,
);
console.log('\nCPU of one next-occurrence call (min of 20), in this process:');
for (const c of perCall)
  console.log(`  ${c.next_ms.toFixed(2).padStart(6)} ms  ${c.rule.length > 60 ? `${c.rule.slice(0, 57)}...` : c.rule.padEnd(60)}  ${c.outcome}`);
console.log('CPU of planning one due schedule in the tick (min of 20):');
for (const p of plans) console.log(`  ${p.plan_ms.toFixed(3).padStart(7)} ms  ${p.label}`);
console.log(
  `\nwritten to ${writeResult('schedule-rules', { benchmark: 'schedule-rules', machine: machine(), settings: { runs: RUNS, schedules: SCHEDULES, lists: LISTS }, figures, per_call: perCall, plans, runs })}`,
);

await db.destroy();
await benchDb.drop();
