import { randomUUID } from 'node:crypto';
import { TaskPolicies } from '@conveyor/contracts';
import { type Kysely, sql } from 'kysely';
import {
  type Database,
  claimTask,
  createTenantWithKey,
  decodeCursor,
  deleteExpiredTasks,
  deleteOldDeadLetters,
  failTask,
  findUnfinishedTasks,
  insertTask,
  listDeadLetters,
  listTasksForTenant,
  replayDeadLetters,
  retryFailedTask,
  scheduleRetry,
  withExclusiveRun,
} from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;
let otherTenant: string;
const DAY = 86_400_000;

beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'acme', plan: 'trial' })).tenant.id;
  otherTenant = (await createTenantWithKey(db, { name: 'other', plan: 'trial' })).tenant.id;
});
afterAll(() => close());

const add = (task = 'ping', tenant = tenantId) =>
  insertTask(db, { id: randomUUID(), tenant_id: tenant, task, queue: 'monitoring', payload: {}, max_attempts: 2 });

async function failForGood(task = 'ping', tenant = tenantId) {
  const t = await add(task, tenant);
  const claim = (await claimTask(db, t.id))!;
  await failTask(db, { ...claim, error: { type: 'Boom', message: 'broken' }, retentionMs: DAY });
  return t;
}

describe('listing a tenant’s tasks', () => {
  it('pages newest first with a cursor, without skipping or repeating rows that share a millisecond', async () => {
    const { tenant } = await createTenantWithKey(db, { name: 'lister', plan: 'trial' });
    // One statement: every row gets the same now(), the worst case for a cursor.
    const ids = Array.from({ length: 25 }, () => randomUUID());
    await db
      .insertInto('tasks')
      .values(ids.map((id) => ({ id, tenant_id: tenant.id, task: 'ping', queue: 'monitoring', payload: '{}', max_attempts: 1 })))
      .execute();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listTasksForTenant(db, tenant.id, { limit: 7, after: cursor ? decodeCursor(cursor) : undefined });
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).toEqual([...seen].sort().reverse());
  });

  it('filters by status and task, and never shows another tenant’s tasks', async () => {
    const { tenant } = await createTenantWithKey(db, { name: 'filter', plan: 'trial' });
    const mine = await add('test_task', tenant.id);
    await add('ping', tenant.id);
    await add('test_task', otherTenant);
    const page = await listTasksForTenant(db, tenant.id, { limit: 50, task: 'test_task', status: ['PENDING'] });
    expect(page.rows.map((r) => r.id)).toEqual([mine.id]);
    expect((await listTasksForTenant(db, tenant.id, { limit: 50, status: ['SUCCESS', 'FAILURE'] })).rows).toEqual([]);
    expect(decodeCursor('not a cursor')).toBeUndefined();
  });

  it('refuses cursors of the right shape that name no real position, which Postgres would reject', async () => {
    const uuid = randomUUID();
    const cursor = (text: string) => Buffer.from(text).toString('base64url');
    const malformed = [
      `2026-01-01T00:00:00.000000Z|${'-'.repeat(36)}`, // not a UUID
      `2026-01-01T00:00:00.000000Z|${uuid.replace(/-/g, 'a')}`, // no dashes where a UUID has them
      `2026-13-45T25:61:61.000000Z|${uuid}`, // no such month, day, hour or minute
      `2026-02-30T00:00:00.000000Z|${uuid}`, // no 30 February
      `0000-01-01T00:00:00.000000Z|${uuid}`, // no year 0
    ];
    for (const text of malformed) expect(decodeCursor(cursor(text))).toBeUndefined();
    // What decodes, Postgres takes.
    const good = decodeCursor(cursor(`2024-02-29T23:59:59.999999Z|${uuid}`));
    expect(good).toEqual({ createdAt: '2024-02-29T23:59:59.999999Z', id: uuid });
    await expect(listTasksForTenant(db, tenantId, { limit: 1, after: good })).resolves.toBeDefined();
  });
});

describe('dead letters', () => {
  it('lists them newest first and replays one, a filter, or all with a fresh attempt budget', async () => {
    const a = await failForGood('ping');
    const b = await failForGood('test_task');
    const c = await failForGood('test_task', otherTenant);
    const listed = await listDeadLetters(db, { limit: 100 });
    expect(listed.rows.map((r) => r.task_id)).toEqual(expect.arrayContaining([a.id, b.id, c.id]));
    expect((await listDeadLetters(db, { limit: 100, tenantId: otherTenant })).rows.map((r) => r.task_id)).toEqual([c.id]);

    // The fresh budget is the task's attempts with the operator's overrides, as a new task gets.
    const one = await replayDeadLetters(db, { taskIds: [a.id] }, new TaskPolicies({ ping: { attempts: 3 } }));
    expect(one.map((r) => r.id)).toEqual([a.id]);
    const replayed = await db.selectFrom('tasks').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(replayed).toMatchObject({ status: 'PENDING', error: null, max_attempts: 4, attempt: 1, finished_at: null });

    const once = new TaskPolicies({ test_task: { attempts: 1 } });
    const filtered = await replayDeadLetters(db, { task: 'test_task', tenantId: otherTenant }, once);
    expect(filtered.map((r) => r.id)).toEqual([c.id]);
    expect(await db.selectFrom('tasks').select('max_attempts').where('id', '=', c.id).executeTakeFirstOrThrow()).toEqual({ max_attempts: 2 });
    const rest = await replayDeadLetters(db, {}, once, 1);
    expect(rest.map((r) => r.id)).toContain(b.id);
    expect((await listDeadLetters(db, { limit: 100 })).rows).toEqual([]);
  });

  it('lets a tenant retry only its own failed task', async () => {
    const mine = await failForGood();
    const policies = new TaskPolicies({ ping: { attempts: 2 } });
    expect(await retryFailedTask(db, mine.id, otherTenant, policies)).toBeUndefined();
    expect(await retryFailedTask(db, mine.id, tenantId, policies)).toMatchObject({ id: mine.id, task: 'ping', queue: 'monitoring' });
    expect(await db.selectFrom('tasks').select('max_attempts').where('id', '=', mine.id).executeTakeFirstOrThrow()).toEqual({ max_attempts: 3 });
    expect(await retryFailedTask(db, mine.id, tenantId, policies)).toBeUndefined();
    expect(await db.selectFrom('dead_letters').select('task_id').where('task_id', '=', mine.id).executeTakeFirst()).toBeUndefined();
  });
});

describe('maintenance', () => {
  it('finds unfinished tasks past the grace period with their due delay and run time', async () => {
    const { tenant } = await createTenantWithKey(db, { name: 'maint', plan: 'trial' });
    const pending = await add('ping', tenant.id);
    const retrying = await add('ping', tenant.id);
    const claim = (await claimTask(db, retrying.id))!;
    await scheduleRetry(db, { ...claim, error: { type: 'E', message: 'x' }, nextAttemptInMs: 30_000 });
    const running = await add('ping', tenant.id);
    await claimTask(db, running.id);
    await sql`update tasks set updated_at = now() - interval '1 minute' where tenant_id = ${tenant.id}`.execute(db);

    const found = await findUnfinishedTasks(db, { statuses: ['PENDING', 'RETRY', 'STARTED'], graceMs: 10_000, limit: 100 });
    const byId = new Map(found.map((f) => [f.id, f]));
    expect(byId.get(pending.id)).toMatchObject({ status: 'PENDING', delay_ms: 0, running_ms: null });
    expect(byId.get(retrying.id)!.delay_ms).toBeGreaterThan(20_000);
    expect(byId.get(running.id)).toMatchObject({ status: 'STARTED', running_ms: expect.any(Number) });
    const fresh = await add('ping', tenant.id);
    const again = await findUnfinishedTasks(db, { statuses: ['PENDING'], graceMs: 10_000, limit: 100 });
    expect(again.map((f) => f.id)).not.toContain(fresh.id);
  });

  it('deletes expired tasks but keeps those in the dead-letter table until their own retention', async () => {
    const done = await add();
    const claim = (await claimTask(db, done.id))!;
    await failTask(db, { ...claim, error: { type: 'E', message: 'x' }, retentionMs: 1 });
    const expired = await add();
    await sql`update tasks set status = 'SUCCESS', expires_at = now() - interval '1 second' where id = ${expired.id}`.execute(db);
    await new Promise((r) => setTimeout(r, 20));
    expect(await deleteExpiredTasks(db, 1000)).toBeGreaterThanOrEqual(1);
    const left = await db.selectFrom('tasks').select('id').where('id', 'in', [done.id, expired.id]).execute();
    expect(left.map((r) => r.id)).toEqual([done.id]);
    await sql`update dead_letters set failed_at = now() - interval '40 days' where task_id = ${done.id}`.execute(db);
    expect(await deleteOldDeadLetters(db, 30, 1000)).toBe(1);
    expect(await db.selectFrom('tasks').select('id').where('id', '=', done.id).executeTakeFirst()).toBeUndefined();
  });

  it('runs a periodic job in one process at a time', async () => {
    let running = 0;
    let max = 0;
    let ran = 0;
    const job = async () => {
      running += 1;
      ran += 1;
      max = Math.max(max, running);
      await new Promise((r) => setTimeout(r, 100));
      running -= 1;
    };
    const results = await Promise.all(Array.from({ length: 5 }, () => withExclusiveRun(db, 4242, job)));
    expect(max).toBe(1);
    expect(results.filter(Boolean)).toHaveLength(ran);
    expect(ran).toBeGreaterThanOrEqual(1);
    expect(ran).toBeLessThan(5);
  });
});
