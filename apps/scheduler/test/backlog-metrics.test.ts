import { randomUUID } from 'node:crypto';
import { QUEUE_NAMES } from '@conveyor/contracts';
import { type Database, createDb, createTenantWithKey, insertSchedule, insertTask, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { type TestDatabase, createTestDatabase, freePort } from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import { Registry } from 'prom-client';
import { registerBacklogMetrics } from '../src/backlog-metrics';

let testDb: TestDatabase;
let db: Kysely<Database>;
let tenantId: string;
beforeAll(async () => {
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  db = createDb(testDb.url);
  tenantId = (await createTenantWithKey(db, { name: 'backlog', plan: 'growth' })).tenant.id;
});
afterAll(async () => {
  await db.destroy();
  await testDb.drop();
});

/** The samples of a scrape as {name{labels}: value}. */
async function scrape(registry: Registry): Promise<Record<string, number>> {
  const text = await registry.metrics();
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => {
        const at = line.lastIndexOf(' ');
        return [line.slice(0, at), Number(line.slice(at + 1))];
      }),
  );
}

it('exports every queue’s oldest waiting task and the scheduler lag from Postgres, 0 when nothing waits', async () => {
  const registry = new Registry();
  registerBacklogMetrics(registry, db);
  const idle = await scrape(registry);
  for (const queue of QUEUE_NAMES) expect(idle[`conveyor_queue_oldest_waiting_seconds{queue="${queue}"}`]).toBe(0);
  expect(idle.conveyor_scheduler_lag_seconds).toBe(0);

  const id = randomUUID();
  await insertTask(db, { id, tenant_id: tenantId, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 3 });
  await sql`update tasks set updated_at = now() - interval '300 seconds' where id = ${id}`.execute(db);
  const schedule = await insertSchedule(db, { tenant_id: tenantId, name: 'late', kind: 'cron', cron: '* * * * *', timezone: 'UTC', task: 'ping', payload: {} });
  await sql`update schedules set next_run_at = now() - interval '120 seconds' where id = ${schedule.id}`.execute(db);

  const behind = await scrape(registry);
  expect(behind['conveyor_queue_oldest_waiting_seconds{queue="monitoring"}']).toBeGreaterThanOrEqual(300);
  expect(behind['conveyor_queue_oldest_waiting_seconds{queue="monitoring"}']).toBeLessThan(3600);
  expect(behind['conveyor_queue_oldest_waiting_seconds{queue="analysis"}']).toBe(0);
  expect(behind.conveyor_scheduler_lag_seconds).toBeGreaterThanOrEqual(120);
  expect(behind.conveyor_scheduler_lag_seconds).toBeLessThan(3600);

  // Claimed and fired: nothing waits any more.
  await sql`update tasks set status = 'STARTED', attempt = 1 where id = ${id}`.execute(db);
  await sql`update schedules set next_run_at = now() + interval '1 minute' where id = ${schedule.id}`.execute(db);
  const caughtUp = await scrape(registry);
  expect(caughtUp['conveyor_queue_oldest_waiting_seconds{queue="monitoring"}']).toBe(0);
  expect(caughtUp.conveyor_scheduler_lag_seconds).toBe(0);
});

it('reports no sample, rather than a reassuring 0, while Postgres cannot be read', async () => {
  // Nothing listens on a port just found free.
  const unreachable = createDb(`postgres://postgres@127.0.0.1:${await freePort()}/none`);
  try {
    const registry = new Registry();
    registerBacklogMetrics(registry, unreachable);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE conveyor_queue_oldest_waiting_seconds gauge');
    expect(text).toContain('# TYPE conveyor_scheduler_lag_seconds gauge');
    expect(await scrape(registry)).toEqual({ conveyor_scheduler_lag_seconds: Number.NaN });
  } finally {
    await unreachable.destroy();
  }
});
