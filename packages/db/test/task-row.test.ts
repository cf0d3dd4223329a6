import { TaskPolicies } from '@conveyor/contracts';
import { type Kysely, sql } from 'kysely';
import {
  type Database,
  type TaskRowInput,
  TaskRowError,
  claimTask,
  createTasks,
  createTenantWithKey,
  failTask,
  fireScheduleBatch,
  insertSchedule,
  insertTasks,
  replayDeadLetters,
  taskRow,
} from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;
// Overrides, so that a row that ignored them (the catalog's defaults) would show.
const policies = new TaskPolicies({ ping: { attempts: 7 }, test_task: { attempts: 4 } });

beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'rows', plan: 'growth' })).tenant.id;
});
afterAll(() => close());

const dbNow = async () => (await sql<{ t: Date }>`select date_trunc('second', now()) - interval '1 second' as t`.execute(db)).rows[0]!.t;
const columnsOf = (row: object) => Object.keys(row).sort();

describe('taskRow', () => {
  it('takes queue and attempts from the definition and its overrides, whatever the origin', async () => {
    const submitted = taskRow(policies, { tenantId, task: 'ping', payload: {}, priority: 5, delayMs: 1000, idempotencyKey: 'k-1' });
    const batch = [taskRow(policies, { tenantId, task: 'test_task', payload: { message: 'a' } }), taskRow(policies, { tenantId, task: 'ping', payload: {} })];
    const schedule = await insertSchedule(db, {
      tenant_id: tenantId,
      name: 'shape',
      kind: 'one_shot',
      run_at: await dbNow(),
      next_run_at: await dbNow(),
      timezone: 'UTC',
      task: 'ping',
      payload: {},
    });
    const plannedAt = await dbNow();
    const fire = taskRow(policies, { tenantId, task: 'ping', payload: {}, fire: { scheduleId: schedule.id, plannedAt } });

    for (const row of [submitted, ...batch, fire]) expect(columnsOf(row)).toEqual(columnsOf(submitted));
    expect(submitted).toMatchObject({
      task: 'ping',
      queue: 'monitoring',
      max_attempts: 7,
      priority: 5,
      delay_ms: 1000,
      idempotency_key: 'k-1',
      schedule_id: null,
    });
    expect(batch[0]).toMatchObject({ task: 'test_task', queue: 'monitoring', max_attempts: 4, priority: 0, delay_ms: null, idempotency_key: null });
    expect(fire).toMatchObject({ max_attempts: 7, priority: 0, idempotency_key: null, schedule_id: schedule.id, planned_at: plannedAt });

    // Each origin's writer stores the row it was given.
    const [single] = await insertTasks(db, [submitted]);
    const many = await insertTasks(db, batch);
    // A fire's row: tenant, task and payload from its schedule's row, queue and attempts from taskRow.
    const fired = await fireScheduleBatch(db, 10, (due) => ({
      fires: due.some((d) => d.id === schedule.id) ? [{ scheduleId: schedule.id, plannedAt, queue: fire.queue, maxAttempts: fire.max_attempts }] : [],
      advances: due.map((d) => ({ id: d.id, next: null, last: plannedAt })),
    }));
    const firedRows = await db
      .selectFrom('tasks')
      .selectAll()
      .where(
        'id',
        'in',
        fired.created.map((c) => c.id),
      )
      .execute();
    const stored = [single!.row, ...many.map((m) => m.row), ...firedRows];
    expect(stored.map((r) => [r.task, r.queue, r.max_attempts, r.status, r.attempt])).toEqual([
      ['ping', 'monitoring', 7, 'PENDING', 0],
      ['test_task', 'monitoring', 4, 'PENDING', 0],
      ['ping', 'monitoring', 7, 'PENDING', 0],
      ['ping', 'monitoring', 7, 'PENDING', 0],
    ]);
    expect(single!.row.run_at!.getTime() - single!.row.created_at.getTime()).toBe(1000);
    expect(firedRows[0]).toMatchObject({
      tenant_id: tenantId,
      payload: {},
      schedule_id: schedule.id,
      planned_at: plannedAt,
      idempotency_key: null,
      origin: 'schedule',
    });
    expect(fired.created).toEqual([{ id: firedRows[0]!.id, task: 'ping', queue: 'monitoring', priority: 0 }]);
  });

  it('gives a replayed task the attempts a new one gets', async () => {
    const row = taskRow(policies, { tenantId, task: 'ping', payload: {} });
    await createTasks(db, [row]);
    const claim = (await claimTask(db, row.id))!;
    await failTask(db, { ...claim, error: { type: 'Boom', message: 'no' }, retentionMs: 60_000 });
    await replayDeadLetters(db, { taskIds: [row.id] }, policies);
    const replayed = await db.selectFrom('tasks').select(['max_attempts', 'attempt']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(replayed.max_attempts - replayed.attempt).toBe(row.max_attempts);
  });

  it.each<[string, Partial<TaskRowInput>]>([
    ['an unknown task', { task: 'no_such_task' }],
    ['no tenant', { tenantId: '' }],
    ['a negative priority', { priority: -1 }],
    ['a fractional priority', { priority: 1.5 }],
    ['a negative delay', { delayMs: -5 }],
    ['a delay that is not a number', { delayMs: Number.NaN }],
    ['a fire with an idempotency key', { idempotencyKey: 'k', fire: { scheduleId: '00000000-0000-0000-0000-000000000000', plannedAt: new Date() } }],
    ['a fire with no valid time', { fire: { scheduleId: '00000000-0000-0000-0000-000000000000', plannedAt: new Date(Number.NaN) } }],
  ])('refuses %s', (_what, bad) => {
    expect(() => taskRow(policies, { tenantId, task: 'ping', payload: {}, ...bad })).toThrow(TaskRowError);
  });
});

describe('createTasks', () => {
  it('skips a fire made already and a repeated idempotency key, and inserts the rest', async () => {
    const schedule = await insertSchedule(db, {
      tenant_id: tenantId,
      name: 'twice',
      kind: 'one_shot',
      run_at: await dbNow(),
      timezone: 'UTC',
      task: 'ping',
      payload: {},
    });
    const plannedAt = await dbNow();
    const fire = () => taskRow(policies, { tenantId, task: 'ping', payload: {}, fire: { scheduleId: schedule.id, plannedAt } });
    const keyed = () => taskRow(policies, { tenantId, task: 'ping', payload: {}, idempotencyKey: 'once' });
    expect(await createTasks(db, [fire(), keyed()])).toHaveLength(2);
    const plain = taskRow(policies, { tenantId, task: 'ping', payload: {} });
    expect((await createTasks(db, [fire(), keyed(), plain])).map((r) => r.id)).toEqual([plain.id]);
  });
});

describe('fireScheduleBatch', () => {
  it('never lets two concurrent batches claim one schedule, and advances what was planned', async () => {
    const { tenant } = await createTenantWithKey(db, { name: 'claims', plan: 'growth' });
    const due = await dbNow();
    const ids = [];
    for (let i = 0; i < 6; i += 1)
      ids.push(
        (
          await insertSchedule(db, {
            tenant_id: tenant.id,
            name: `c-${i}`,
            kind: 'one_shot',
            run_at: due,
            next_run_at: due,
            timezone: 'UTC',
            task: 'ping',
            payload: {},
          })
        ).id,
      );
    const seen: string[][] = [];
    const batch = () =>
      fireScheduleBatch(db, 100, (claimed) => {
        const mine = claimed.filter((s) => s.tenant_id === tenant.id);
        seen.push(mine.map((s) => s.id));
        expect(mine.every((s) => s.plan === 'growth' && s.db_now instanceof Date)).toBe(true);
        return { fires: [], advances: mine.map((s) => ({ id: s.id, next: null, last: due })) };
      });
    await Promise.all([batch(), batch(), batch()]);
    expect(seen.flat().sort()).toEqual([...ids].sort());
    const rows = await db.selectFrom('schedules').select(['next_run_at', 'last_run_at']).where('id', 'in', ids).execute();
    expect(rows).toEqual(ids.map(() => ({ next_run_at: null, last_run_at: due })));
  });
});
