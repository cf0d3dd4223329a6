import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { DataSourcesSimulator, SIM_COMTRADE_SUBSCRIPTION_KEY, SIM_FRED_API_KEY } from '@conveyor/sim';
import { AppStack, freePort, waitFor } from '@conveyor/testkit';
import type { Conveyor } from '@conveyor/client';
import { Client } from 'pg';
import { type Json, clientOf } from './support';

// Ingestion end to end: the API, the scheduler and two scraping workers as real processes, the
// five sources as the loopback simulator. The operator's admin API runs a source now and turns
// its system schedule on; the scheduler fires it; two workers share one source's rate limit.

const RATE = { capacity: 2, refillPerSecond: 5 };
const FREE = { capacity: 1000, refillPerSecond: 1000 };

let stack: AppStack;
let admin: Conveyor;
let sim: DataSourcesSimulator;
let workers: { output: () => string }[];

beforeAll(async () => {
  sim = new DataSourcesSimulator();
  const base = await sim.listen();
  stack = await AppStack.create({
    template: { key: schemaFingerprint(), migrate: migrateUrl },
    env: {
      INGESTION_ALLOW_HOSTS: new URL(base).host,
      GDELT_BASE_URL: base,
      RELIEFWEB_BASE_URL: base,
      FRED_BASE_URL: base,
      WORLDBANK_BASE_URL: base,
      COMTRADE_BASE_URL: base,
      FRED_API_KEY: SIM_FRED_API_KEY,
      COMTRADE_SUBSCRIPTION_KEY: SIM_COMTRADE_SUBSCRIPTION_KEY,
      // ReliefWeb's bucket is the one under test; the others are lifted from the public APIs' (GDELT: a request per 5 s).
      INGESTION_RATE_LIMITS: JSON.stringify({ reliefweb: RATE, gdelt: FREE, fred: FREE }),
      SCHEDULER_TICK_MS: '250',
    },
  });
  const apiPort = await freePort();
  // One task at a time each: runs of the same source spread over both processes.
  const one = { WORKER_CONCURRENCY: '1' };
  const started = await Promise.all([
    stack.start('worker-scraping', await freePort(), one),
    stack.start('worker-scraping', await freePort(), one),
    stack.start('api', apiPort),
    stack.start('scheduler', await freePort()),
  ]);
  workers = started.slice(0, 2);
  admin = clientOf(apiPort, await stack.createAdminKey());
}, 300_000);

// The ingestion routes have no typed resource in the client: conveyor.request.
const get = (path: string, query?: Record<string, string | number>) => admin.request<Json>('GET', path, { query });

/** POST /ingestion/{source}/run: accepted, the task that runs it. */
async function runNow(source: string, body: object = {}): Promise<string> {
  const started = await admin.request<Json>('POST', `/ingestion/${source}/run`, { body });
  expect(started).toMatchObject({ task_id: expect.any(String), source, status: 'PENDING' });
  return started.task_id as string;
}
afterAll(async () => {
  await stack?.stop();
  await sim?.close();
}, 30_000);

/** The audit record of the task's run once it has ended (an admin key reads runs, not the system tenant's tasks). */
function runFinishes(source: string, taskId: string): Promise<Record<string, any>> {
  return waitFor(
    async () => {
      const body = await get('/ingestion/runs', { source, status: 'succeeded,failed', limit: 100 });
      return (body.runs as Record<string, any>[]).find((run) => run.task_id === taskId);
    },
    `the ${source} run of task ${taskId} to end`,
    120_000,
    100,
  );
}

describe('ingestion through the stack', () => {
  it('lists the five sources, their schedules off in tests', async () => {
    const body = await get('/ingestion/sources');
    expect(body.sources.map((s: { source: string }) => s.source).sort()).toEqual(['comtrade', 'fred', 'gdelt', 'reliefweb', 'worldbank']);
    expect(body.sources.every((s: { enabled: boolean }) => !s.enabled)).toBe(true);
  });

  it('runs a source now; its run is in the audit trail and its records are readable', async () => {
    const run = await runFinishes('fred', await runNow('fred'));
    expect(run).toMatchObject({ source: 'fred', status: 'succeeded', error: null });
    expect(run.inserted).toBeGreaterThan(0);
    const records = await get('/ingestion/fred/records', { limit: 5 });
    expect(records.records).toHaveLength(5);
    expect(records.records[0]).toMatchObject({ series_id: expect.any(String), occurred_on: expect.any(String) });
    const sources = await get('/ingestion/sources');
    const fred = sources.sources.find((s: { source: string }) => s.source === 'fred');
    expect(fred.record_count).toBeGreaterThan(0);
    expect(fred.last_success_at).toEqual(expect.any(String));
  }, 150_000);

  it("fires a source's system schedule once it is enabled and due", async () => {
    const patched = await admin.request<Json>('PATCH', '/ingestion/sources/gdelt', { body: { enabled: true, cadence: '*/5 * * * *' } });
    expect(patched).toMatchObject({ source: 'gdelt', enabled: true, cadence: '*/5 * * * *' });
    // Due now rather than at the next five minutes: the scheduler fires it on its next tick.
    const db = new Client({ connectionString: stack.database.url });
    await db.connect();
    try {
      await db.query(`update schedules set next_run_at = now() where id = (select schedule_id from ingestion_sources where source = 'gdelt')`);
    } finally {
      await db.end();
    }
    const run = await waitFor(
      async () => (await get('/ingestion/runs', { source: 'gdelt', status: 'succeeded' })).runs[0],
      'the scheduled GDELT run to succeed',
      120_000,
      200,
    );
    expect(run.pages).toBeGreaterThan(0);
    const gdelt = (await get('/ingestion/sources')).sources.find((s: { source: string }) => s.source === 'gdelt');
    expect(gdelt.record_count).toBeGreaterThan(0);
    await admin.request('PATCH', '/ingestion/sources/gdelt', { body: { enabled: false } });
  }, 150_000);

  it("two workers share one source's rate limit and never exceed it together", async () => {
    sim.reset();
    const windows = [
      ['2025-01-01', '2025-01-15'],
      ['2025-01-15', '2025-02-01'],
      ['2025-02-01', '2025-02-15'],
      ['2025-02-15', '2025-03-01'],
    ];
    const ids: string[] = [];
    for (const [from, to] of windows) ids.push(await runNow('reliefweb', { window: { from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` } }));
    const runs = await Promise.all(ids.map((id) => runFinishes('reliefweb', id)));
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(runs.every((r) => r.pages > 1)).toBe(true);
    // Both processes ran some of them.
    for (const worker of workers) expect(ids.some((id) => worker.output().includes(id))).toBe(true);
    const arrivals = sim.requestsOf('reliefweb').map((r) => r.at);
    expect(arrivals.length).toBeGreaterThan(10);
    // A token bucket lets at most capacity + refill × t requests through in any span t; the
    // simulator sees them up to a moment late, so each span is given one more second.
    for (let i = 0; i < arrivals.length; i++) {
      for (let j = i + 1; j < arrivals.length; j++) {
        const spanS = (arrivals[j]! - arrivals[i]!) / 1000;
        expect(j - i + 1).toBeLessThanOrEqual(RATE.capacity + RATE.refillPerSecond * (spanS + 1));
      }
    }
  }, 150_000);
});
