import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type Database, createTenantWithKey, insertSchedule, insertTask, oldestWaitingTaskAges, scheduleLagSeconds } from '../src';
import { openTestDb } from './helpers';

// Each test arranges rows by hand (statuses and times set in SQL, from Postgres' clock) and
// reads what monitoring exports; the ages are bounded both ways, never compared to a wall clock.

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;
beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'backlog', plan: 'growth' })).tenant.id;
});
afterAll(() => close());
beforeEach(async () => {
  await sql`delete from tasks`.execute(db);
  await sql`delete from schedules`.execute(db);
});

/** A task of `queue`, then its row set to `set` (SQL against Postgres' clock). */
async function task(queue: string, set: string): Promise<string> {
  const id = randomUUID();
  await insertTask(db, { id, tenant_id: tenantId, task: 'ping', queue, payload: {}, max_attempts: 3 });
  await sql`update tasks set ${sql.raw(set)} where id = ${id}`.execute(db);
  return id;
}

describe('oldestWaitingTaskAges', () => {
  it('is empty when nothing waits', async () => {
    expect(await oldestWaitingTaskAges(db)).toEqual([]);
  });

  it('gives each queue the age of its oldest due, unclaimed task, and ignores what is delayed, running or finished', async () => {
    await task('monitoring', `updated_at = now() - interval '120 seconds'`);
    await task('monitoring', `updated_at = now() - interval '10 seconds'`);
    // Delayed, backing off, running and finished tasks, however old, are not waiting.
    await task('monitoring', `updated_at = now() - interval '1 hour', run_at = now() + interval '1 minute'`);
    await task('monitoring', `status = 'RETRY', updated_at = now() - interval '1 hour', next_attempt_at = now() + interval '1 minute'`);
    await task('monitoring', `status = 'STARTED', attempt = 1, updated_at = now() - interval '1 hour'`);
    await task('monitoring', `status = 'SUCCESS', updated_at = now() - interval '1 hour'`);
    // A retry waits from when its backoff ended, not from its failed attempt.
    await task('analysis', `status = 'RETRY', updated_at = now() - interval '1 hour', next_attempt_at = now() - interval '30 seconds'`);
    const ages = await oldestWaitingTaskAges(db);
    expect(ages.map((a) => a.queue)).toEqual(['analysis', 'monitoring']);
    const [analysis, monitoring] = ages;
    expect(analysis!.seconds).toBeGreaterThanOrEqual(30);
    expect(analysis!.seconds).toBeLessThan(600);
    expect(monitoring!.seconds).toBeGreaterThanOrEqual(120);
    expect(monitoring!.seconds).toBeLessThan(600);
  });

  it('counts a task put back (released, replayed) from when it was put back', async () => {
    await task('publishing', `updated_at = now() - interval '5 seconds', run_at = now() - interval '2 hours'`);
    const [publishing] = await oldestWaitingTaskAges(db);
    expect(publishing!.queue).toBe('publishing');
    expect(publishing!.seconds).toBeGreaterThanOrEqual(5);
    expect(publishing!.seconds).toBeLessThan(3600);
  });
});

describe('scheduleLagSeconds', () => {
  const schedule = async (nextRunAt: string, enabled = true) => {
    const s = await insertSchedule(db, {
      tenant_id: tenantId,
      name: randomUUID(),
      kind: 'cron',
      cron: '* * * * *',
      timezone: 'UTC',
      task: 'ping',
      payload: {},
    });
    await sql`update schedules set next_run_at = ${sql.raw(nextRunAt)}, enabled = ${enabled} where id = ${s.id}`.execute(db);
  };

  it('is 0 when no enabled schedule is due', async () => {
    expect(await scheduleLagSeconds(db)).toBe(0);
    await schedule(`now() + interval '1 minute'`);
    await schedule(`now() - interval '1 hour'`, false);
    await schedule('null');
    expect(await scheduleLagSeconds(db)).toBe(0);
  });

  it('is the age of the earliest due enabled schedule not yet fired', async () => {
    await schedule(`now() - interval '90 seconds'`);
    await schedule(`now() - interval '20 seconds'`);
    await schedule(`now() - interval '1 hour'`, false);
    const lag = await scheduleLagSeconds(db);
    expect(lag).toBeGreaterThanOrEqual(90);
    expect(lag).toBeLessThan(600);
  });
});
