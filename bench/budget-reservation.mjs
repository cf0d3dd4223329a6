#!/usr/bin/env node
// Benchmark: what reserving and settling a budget adds to one LLM call, and how it holds at
// 200 concurrent calls on one tenant. Baseline in the same run: the same router call without
// a budget, against the loopback LLM simulator. Needs a built workspace and local Postgres.
// With the times, the CPU per call of this process and of its own Postgres backends (by
// application_name; the machine is shared, so these are steadier than the times).
//   node bench/budget-reservation.mjs [--runs 5] [--calls 300] [--concurrency 200]
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, acrossRuns, createBenchDatabase, machine, ms, processCpuMs, summarise, writeResult } from './lib.mjs';

const require = createRequire(path.join(ROOT, 'packages', 'cost-tracker', 'package.json'));
const fromPkg = (name) => require(path.join(ROOT, 'packages', name, 'dist', 'index.js'));
const { createDb, createTenantWithKey } = fromPkg('db');
const { createInferenceRouter } = fromPkg('inference');
const { CostTracker } = fromPkg('cost-tracker');
const { BudgetedInference } = fromPkg('llm');
const { LlmSimulator } = fromPkg('sim');
const { createLogger } = fromPkg('observability');

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, calls: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '200' } },
});
const RUNS = Number(values.runs);
const CALLS = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);

const benchDb = await createBenchDatabase();
const APP = `bench-budget-${process.pid}`;
const db = createDb(benchDb.url, { max: 20, applicationName: APP });
const logger = createLogger({ service: 'bench', level: 'error' });
const sim = new LlmSimulator();
const baseUrl = await sim.listen();
const router = createInferenceRouter({ baseUrl, apiKey: 'sk-bench', timeoutMs: 10_000 }, logger);
// A cap out of reach: this measures the cost of the bookkeeping, not refusals.
const tracker = new CostTracker(db, logger, undefined, { trial: 1e5, starter: 1e5, growth: 1e5 });
const budgeted = new BudgetedInference(router, tracker);
const { tenant } = await createTenantWithKey(db, { name: 'bench', plan: 'growth' });
const messages = (i) => [{ role: 'user', content: `Score post ${i}: a short post about shipping software.` }];
const call = { task: 'score_post', actionType: 'score_post', tenantId: tenant.id };

const { sql } = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'))('kysely');
/** CPU ms so far of this process and of the pool's Postgres backends (those open now). */
async function cpuNow() {
  const { rows } = await sql`select pid from pg_stat_activity where application_name = ${APP}`.execute(db);
  const usage = process.cpuUsage();
  return { node: (usage.user + usage.system) / 1000, postgres: new Map(rows.map((r) => [r.pid, processCpuMs(r.pid)])) };
}
/** µs of CPU per call between two cpuNow()s. */
function cpuPerCall(before, after, calls) {
  let postgres = 0;
  for (const [pid, used] of after.postgres) postgres += used - (before.postgres.get(pid) ?? 0);
  return { node_us: ((after.node - before.node) / calls) * 1000, postgres_us: (postgres / calls) * 1000 };
}

/** Runs fn, and answers its result with the CPU per call it took. */
async function withCpu(calls, fn) {
  const before = await cpuNow();
  const result = await fn();
  return { ...result, cpu: cpuPerCall(before, await cpuNow(), calls) };
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function sequential(fn) {
  const samples = [];
  for (let i = 0; i < CALLS; i += 1) samples.push(await timed(() => fn(i)));
  return summarise(samples);
}

async function concurrent(fn) {
  const wall = await timed(() => Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => fn(i))));
  return { wall_ms: wall, calls_per_s: (CONCURRENCY / wall) * 1000 };
}

const runs = [];
for (let r = 0; r < RUNS; r += 1) {
  // Warm both paths, then measure them alternately inside the same run.
  await sequential((i) => router.complete({ task: 'score_post', messages: messages(i) }));
  const bare = await sequential((i) => router.complete({ task: 'score_post', messages: messages(i) }));
  const withBudget = await sequential((i) => budgeted.complete({ ...call, messages: messages(i) }));
  const bookkeeping = await withCpu(CALLS, () =>
    sequential(async () => {
      const reservation = await tracker.reserve(tenant.id, 0.001, { ttlMs: 60_000 });
      await tracker.settle(reservation, { actionType: 'score_post', modelUsed: 'm', promptTokens: 10, completionTokens: 10, costUsd: 0.0005 });
    }),
  );
  const bareConcurrent = await withCpu(CONCURRENCY, () => concurrent((i) => router.complete({ task: 'score_post', messages: messages(i) })));
  const budgetConcurrent = await withCpu(CONCURRENCY, () => concurrent((i) => budgeted.complete({ ...call, messages: messages(i) })));
  runs.push({ bare, withBudget, bookkeeping, bareConcurrent, budgetConcurrent });
  process.stderr.write(`run ${r + 1}/${RUNS} done\n`);
}

const pick = (f) => acrossRuns(runs.map(f));
const result = {
  benchmark: 'budget-reservation',
  machine: machine(),
  settings: { runs: RUNS, sequential_calls: CALLS, concurrency: CONCURRENCY, task: 'score_post', provider: 'loopback LLM simulator' },
  figures: {
    call_median_ms: { bare: pick((r) => r.bare.median), budgeted: pick((r) => r.withBudget.median) },
    call_p99_ms: { bare: pick((r) => r.bare.p99), budgeted: pick((r) => r.withBudget.p99) },
    added_median_ms: pick((r) => r.withBudget.median - r.bare.median),
    added_p99_ms: pick((r) => r.withBudget.p99 - r.bare.p99),
    reserve_plus_settle_median_ms: pick((r) => r.bookkeeping.median),
    reserve_plus_settle_p99_ms: pick((r) => r.bookkeeping.p99),
    concurrent_calls_per_s: { bare: pick((r) => r.bareConcurrent.calls_per_s), budgeted: pick((r) => r.budgetConcurrent.calls_per_s) },
    concurrent_ratio: pick((r) => r.budgetConcurrent.calls_per_s / r.bareConcurrent.calls_per_s),
    cpu_us_per_call: {
      reserve_plus_settle_sequential: { node: pick((r) => r.bookkeeping.cpu.node_us), postgres: pick((r) => r.bookkeeping.cpu.postgres_us) },
      concurrent_bare: { node: pick((r) => r.bareConcurrent.cpu.node_us), postgres: pick((r) => r.bareConcurrent.cpu.postgres_us) },
      concurrent_budgeted: { node: pick((r) => r.budgetConcurrent.cpu.node_us), postgres: pick((r) => r.budgetConcurrent.cpu.postgres_us) },
    },
  },
};
const spend = await db.selectFrom('tenant_budgets').select(['spent_usd', 'reserved_usd']).where('tenant_id', '=', tenant.id).executeTakeFirst();
result.check = { reserved_usd_after: Number(spend?.reserved_usd ?? 0) };

const f = result.figures;
console.log(`\nBudget reservation (${RUNS} runs; median [min–max] across runs)\n`);
const row = (label, v) => console.log(`${label.padEnd(44)} ${ms(v.median)}  [${ms(v.min)} – ${ms(v.max)}]`);
row('one call, bare router: median', f.call_median_ms.bare);
row('one call, reserve + call + settle: median', f.call_median_ms.budgeted);
row('added by the budget: median', f.added_median_ms);
row('added by the budget: p99', f.added_p99_ms);
row('reserve + settle alone: median', f.reserve_plus_settle_median_ms);
row('reserve + settle alone: p99', f.reserve_plus_settle_p99_ms);
console.log(
  `${`${CONCURRENCY} concurrent, bare: calls/s`.padEnd(44)} ${f.concurrent_calls_per_s.bare.median.toFixed(0)}  [${f.concurrent_calls_per_s.bare.min.toFixed(0)} – ${f.concurrent_calls_per_s.bare.max.toFixed(0)}]`,
);
console.log(
  `${`${CONCURRENCY} concurrent, budgeted: calls/s`.padEnd(44)} ${f.concurrent_calls_per_s.budgeted.median.toFixed(0)}  [${f.concurrent_calls_per_s.budgeted.min.toFixed(0)} – ${f.concurrent_calls_per_s.budgeted.max.toFixed(0)}]`,
);
console.log(
  `${'budgeted / bare throughput'.padEnd(44)} ${f.concurrent_ratio.median.toFixed(2)}  [${f.concurrent_ratio.min.toFixed(2)} – ${f.concurrent_ratio.max.toFixed(2)}]`,
);
const cpuRow = (label, v) =>
  console.log(
    `${label.padEnd(44)} node ${v.node.median.toFixed(0)} [${v.node.min.toFixed(0)} – ${v.node.max.toFixed(0)}] µs, postgres ${v.postgres.median.toFixed(0)} [${v.postgres.min.toFixed(0)} – ${v.postgres.max.toFixed(0)}] µs`,
  );
cpuRow('CPU per call, reserve + settle alone', f.cpu_us_per_call.reserve_plus_settle_sequential);
cpuRow(`CPU per call, ${CONCURRENCY} concurrent, bare`, f.cpu_us_per_call.concurrent_bare);
cpuRow(`CPU per call, ${CONCURRENCY} concurrent, budgeted`, f.cpu_us_per_call.concurrent_budgeted);
console.log(`\nwritten to ${writeResult('budget-reservation', result)}`);

await sim.close();
await db.destroy();
await benchDb.drop();
