import { PassThrough } from 'node:stream';
import { TaskPolicies } from '@conveyor/contracts';
import { type Database, createDb, createTenantWithKey, insertSchedule, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { createLogger } from '@conveyor/observability';
import { TaskProducer, createProducerRedis, queueKey } from '@conveyor/queue';
import { TEST_REDIS_URL, type TestDatabase, createTestDatabase, deleteKeysWithPrefix, uniquePrefix, waitFor } from '@conveyor/testkit';
import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import { Registry } from 'prom-client';
import { createTickMetrics, fireDueSchedules, startTicker } from '../src/tick';

const logger = createLogger({ service: 'test', stream: new PassThrough() });
const prefix = uniquePrefix('tick');
let testDb: TestDatabase;
let db: Kysely<Database>;
let redis: Redis;
let producer: TaskProducer;
let tenantId: string;
let trialTenantId: string;

beforeAll(async () => {
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  db = createDb(testDb.url, { max: 20 });
  redis = createProducerRedis(TEST_REDIS_URL);
  await waitFor(async () => (redis.status === 'ready' ? true : undefined), 'redis');
  producer = new TaskProducer(redis, prefix);
  tenantId = (await createTenantWithKey(db, { name: 'sched', plan: 'growth' })).tenant.id;
  trialTenantId = (await createTenantWithKey(db, { name: 'sched-trial', plan: 'trial' })).tenant.id;
});
afterAll(async () => {
  await producer.close();
  redis.disconnect();
  await deleteKeysWithPrefix(prefix);
  await db.destroy();
  await testDb.drop();
});

const deps = () => ({ db, producer, policies: new TaskPolicies(), logger, batchSize: 50 });
const fires = (scheduleId: string) =>
  db.selectFrom('tasks').select(['planned_at', 'status', 'task']).where('schedule_id', '=', scheduleId).orderBy('planned_at').execute();

/** An every-second cron schedule, by default the growth tenant's and due at the next second. */
async function everySecond(name: string, options: { tenant?: string; nextRunAt?: Date } = {}) {
  const next = (await sql<{ now: Date }>`select date_trunc('second', now()) + interval '1 second' as now`.execute(db)).rows[0]!.now;
  return insertSchedule(db, {
    tenant_id: options.tenant ?? tenantId,
    name,
    kind: 'cron',
    cron: '* * * * * *',
    timezone: 'UTC',
    task: 'ping',
    payload: {},
    next_run_at: options.nextRunAt ?? next,
    misfire_policy: 'fire_all',
  });
}

/** The state of the job that holds each task: its own, or the envelope that carries it. */
async function holderStates(taskIds: string[]): Promise<string[]> {
  const queue = producer.queue('monitoring');
  const envelopes = await Promise.all(taskIds.map((id) => redis.hget(queueKey(prefix, 'monitoring', 'envelope-of'), id)));
  return Promise.all(taskIds.map((id, i) => queue.getJobState(envelopes[i] ?? id)));
}

describe('the tick', () => {
  it('with three replicas ticking at once, fires every due time exactly once, none missed', async () => {
    const schedules = await Promise.all(Array.from({ length: 10 }, (_, i) => everySecond(`replicas-${i}`)));
    const replicas = [0, 1, 2].map(() =>
      startTicker(deps(), 100, (error) => {
        throw error;
      }),
    );
    await new Promise((r) => setTimeout(r, 6000));
    await Promise.all(replicas.map((stop) => stop()));
    for (const schedule of schedules) {
      const times = (await fires(schedule.id)).map((f) => f.planned_at!.getTime());
      expect(times.length).toBeGreaterThanOrEqual(4);
      expect(new Set(times).size).toBe(times.length);
      // Consecutive seconds from the first to the last fire: nothing skipped.
      for (let i = 1; i < times.length; i += 1) expect(times[i]! - times[i - 1]!).toBe(1000);
    }
    const fired = await db.selectFrom('tasks').select('id').where('schedule_id', 'is not', null).execute();
    expect(await holderStates(fired.map((t) => t.id))).toEqual(fired.map(() => 'waiting'));
  }, 30_000);

  it('with a backlog of many batches, parallel batches in two replicas fire each due schedule once, with its tenant, task and payload, and enqueue it', async () => {
    const due = (await sql<{ t: Date }>`select date_trunc('second', now()) - interval '2 seconds' as t`.execute(db)).rows[0]!.t;
    // 600 one-shots due at once: twelve batches of 50, which two replicas of three parallel batches share.
    const { rows } = await sql<{ id: string; n: number }>`
      insert into schedules (tenant_id, name, kind, run_at, timezone, task, payload, next_run_at)
      select ${tenantId}, 'backlog-' || g, 'one_shot', ${due}, 'UTC', 'test_task', jsonb_build_object('message', 'fire ' || g), ${due}
        from generate_series(1, 600) g
      returning id, (payload->>'message') as n`.execute(db);
    const replicas = [0, 1].map(() =>
      startTicker({ ...deps(), parallel: 3 }, 100, (error) => {
        throw error;
      }),
    );
    const ids = rows.map((r) => r.id);
    const fired = async () =>
      db
        .selectFrom('tasks')
        .select(['id', 'schedule_id', 'tenant_id', 'task', 'queue', 'payload', 'planned_at', 'origin'])
        .where('schedule_id', 'in', ids)
        .execute();
    await waitFor(async () => ((await fired()).length >= ids.length ? true : undefined), 'every backlog schedule to fire', 60_000, 100);
    await Promise.all(replicas.map((stop) => stop()));
    const tasks = await fired();
    expect(tasks).toHaveLength(ids.length);
    expect(new Set(tasks.map((t) => t.schedule_id)).size).toBe(ids.length);
    const messageOf = new Map(rows.map((r) => [r.id, r.n]));
    for (const t of tasks) {
      expect(t).toMatchObject({ tenant_id: tenantId, task: 'test_task', queue: 'monitoring', planned_at: due, origin: 'schedule' });
      expect(t.payload).toEqual({ message: messageOf.get(t.schedule_id!) });
    }
    expect((await holderStates(tasks.map((t) => t.id))).filter((state) => state !== 'waiting')).toEqual([]);
    // Fired together, they travel together: fewer jobs than tasks (envelopes).
    expect((await producer.queue('monitoring').getJobCounts('waiting')).waiting).toBeLessThan(tasks.length);
    const left = await db.selectFrom('schedules').select('id').where('id', 'in', ids).where('next_run_at', 'is not', null).execute();
    expect(left).toEqual([]);
  }, 90_000);

  it('applies each misfire policy after the scheduler was down across several due times', async () => {
    const hourly = async (name: string, policy: 'skip' | 'fire_once' | 'fire_all') =>
      insertSchedule(db, {
        tenant_id: tenantId,
        name,
        kind: 'cron',
        cron: '0 * * * *',
        timezone: 'UTC',
        task: 'ping',
        payload: {},
        misfire_policy: policy,
        // Due five hours ago: the scheduler "was down" for five due times and more.
        next_run_at: (await sql<{ t: Date }>`select date_trunc('hour', now()) - interval '5 hours' as t`.execute(db)).rows[0]!.t,
      });
    const skip = await hourly('down-skip', 'skip');
    const once = await hourly('down-once', 'fire_once');
    const all = await hourly('down-all', 'fire_all');
    await fireDueSchedules(deps());
    const hourNow = (await sql<{ t: Date }>`select date_trunc('hour', now()) as t`.execute(db)).rows[0]!.t;
    const secondsIntoHour = (Date.now() - hourNow.getTime()) / 1000;
    // The current hour is on time only within the misfire grace (60 s): then every policy
    // fires it, and fire_once's catch-up is the hour before; else it is the catch-up.
    const onTime = secondsIntoHour <= 60;
    expect((await fires(skip.id)).length).toBe(onTime ? 1 : 0);
    expect((await fires(once.id)).map((f) => f.planned_at)).toEqual(onTime ? [new Date(hourNow.getTime() - 3_600_000), hourNow] : [hourNow]);
    expect((await fires(all.id)).length).toBe(6);
    for (const s of [skip, once, all]) {
      const row = await db.selectFrom('schedules').select('next_run_at').where('id', '=', s.id).executeTakeFirstOrThrow();
      expect(row.next_run_at!.getTime()).toBe(hourNow.getTime() + 3_600_000);
    }
  });

  it("holds a schedule saved before the API's checks to its tenant's plan: no two fires closer than the plan's interval", async () => {
    // Every second on a trial tenant (at most one fire per 300 s), inserted as an old schedule
    // would be; due ten seconds ago, so eleven seconds are due and on time.
    const dueAt = (await sql<{ t: Date }>`select date_trunc('second', now()) - interval '10 seconds' as t`.execute(db)).rows[0]!.t;
    const trial = await everySecond('trial-every-second', { tenant: trialTenantId, nextRunAt: dueAt });
    const growth = await everySecond('growth-every-second', { nextRunAt: dueAt });
    const registry = new Registry();
    await fireDueSchedules({ ...deps(), metrics: createTickMetrics(registry) });
    expect((await fires(trial.id)).map((f) => f.planned_at)).toEqual([dueAt]);
    expect((await fires(growth.id)).length).toBeGreaterThanOrEqual(11);
    expect(await registry.metrics()).toMatch(/conveyor_schedule_fires_over_plan_total (1\d|[2-9]\d)\b/);
    // It still advances, and later ticks keep 300 s after the last fire.
    const row = await db.selectFrom('schedules').select(['next_run_at', 'last_run_at']).where('id', '=', trial.id).executeTakeFirstOrThrow();
    expect(row.last_run_at).toEqual(dueAt);
    expect(row.next_run_at!.getTime()).toBeGreaterThan(dueAt.getTime() + 10_000);
    await db
      .updateTable('schedules')
      .set({ next_run_at: sql`date_trunc('second', now()) - interval '2 seconds'` })
      .where('id', '=', trial.id)
      .execute();
    await fireDueSchedules(deps());
    expect((await fires(trial.id)).map((f) => f.planned_at)).toEqual([dueAt]);
  });

  it('a batch whose planning runs over its budget leaves the rest due, and the next batch fires them', async () => {
    const dueAt = (await sql<{ t: Date }>`select now() - interval '1 second' as t`.execute(db)).rows[0]!.t;
    const ids = [];
    for (let i = 0; i < 4; i += 1) {
      ids.push(
        (
          await insertSchedule(db, {
            tenant_id: tenantId,
            name: `budget-${i}`,
            kind: 'one_shot',
            run_at: dueAt,
            timezone: 'UTC',
            task: 'ping',
            payload: {},
            next_run_at: dueAt,
          })
        ).id,
      );
    }
    // A budget of 0 ms: each batch plans one schedule, then says there is more.
    const first = await fireDueSchedules({ ...deps(), planBudgetMs: 0 });
    expect(first).toMatchObject({ schedules: 1, more: true });
    let report = first;
    for (let guard = 0; report.more && guard < 20; guard += 1) report = await fireDueSchedules({ ...deps(), planBudgetMs: 0 });
    for (const id of ids) expect((await fires(id)).map((f) => f.planned_at)).toEqual([dueAt]);
  });

  it('counts its fires in a metric', async () => {
    const registry = new Registry();
    const metrics = createTickMetrics(registry);
    const due = (await sql<{ t: Date }>`select now() - interval '1 second' as t`.execute(db)).rows[0]!.t;
    await insertSchedule(db, {
      tenant_id: tenantId,
      name: 'counted',
      kind: 'one_shot',
      run_at: due,
      timezone: 'UTC',
      task: 'ping',
      payload: {},
      next_run_at: due,
    });
    await fireDueSchedules({ ...deps(), metrics });
    expect(await registry.metrics()).toMatch(/conveyor_schedule_fires_total [1-9]/);
    expect(await registry.metrics()).toMatch(/conveyor_scheduler_tick_batch_seconds_count [1-9]/);
  });

  it('does not fire disabled or deleted schedules, and a one-shot fires once', async () => {
    const due = (await sql<{ t: Date }>`select now() - interval '1 second' as t`.execute(db)).rows[0]!.t;
    const disabled = await insertSchedule(db, {
      tenant_id: tenantId,
      name: 'off',
      kind: 'one_shot',
      run_at: due,
      timezone: 'UTC',
      task: 'ping',
      payload: {},
      next_run_at: due,
      enabled: false,
    });
    const deleted = await insertSchedule(db, {
      tenant_id: tenantId,
      name: 'gone',
      kind: 'one_shot',
      run_at: due,
      timezone: 'UTC',
      task: 'ping',
      payload: {},
      next_run_at: due,
    });
    await db.deleteFrom('schedules').where('id', '=', deleted.id).execute();
    const once = await insertSchedule(db, {
      tenant_id: tenantId,
      name: 'once',
      kind: 'one_shot',
      run_at: due,
      timezone: 'UTC',
      task: 'ping',
      payload: {},
      next_run_at: due,
    });
    await fireDueSchedules(deps());
    await fireDueSchedules(deps());
    expect(await fires(disabled.id)).toEqual([]);
    expect(await db.selectFrom('tasks').select('id').where('planned_at', '=', due).where('task', '=', 'ping').execute()).toHaveLength(1);
    expect((await fires(once.id)).map((f) => f.planned_at)).toEqual([due]);
    expect((await db.selectFrom('schedules').select('next_run_at').where('id', '=', once.id).executeTakeFirstOrThrow()).next_run_at).toBeNull();
  });
});
