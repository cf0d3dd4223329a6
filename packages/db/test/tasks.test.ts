import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  type Database,
  attemptsOf,
  findTask,
  claimTask,
  completeTask,
  createTenantWithKey,
  deleteUnstartedTasks,
  failTask,
  findTaskForTenant,
  insertTask,
  insertTasks,
  recordProgress,
  releaseTask,
  revokeTask,
  scheduleRetry,
} from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;
const DAY = 86_400_000;

beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'acme', plan: 'trial' })).tenant.id;
});
afterAll(() => close());

function newTask(extra: { idempotency_key?: string; max_attempts?: number } = {}) {
  return insertTask(db, {
    id: randomUUID(),
    tenant_id: tenantId,
    task: 'test_task',
    queue: 'monitoring',
    payload: { message: 'hi' },
    max_attempts: 3,
    ...extra,
  });
}
const row = (id: string) => findTaskForTenant(db, id, tenantId).then((r) => r!);

describe('task state compare-and-set', () => {
  it('claims a pending task once per delivery, bumps the attempt and opens its history', async () => {
    const task = await newTask();
    expect(task.status).toBe('PENDING');
    const claim = await claimTask(db, task.id);
    expect(claim).toMatchObject({ id: task.id, attempt: 1, payload: { message: 'hi' }, task: 'test_task', max_attempts: 3 });
    expect(await row(task.id)).toMatchObject({ status: 'STARTED', attempt: 1 });
    expect(attemptsOf((await findTask(db, task.id))!)).toEqual([expect.objectContaining({ attempt: 1, outcome: 'running', finished_at: null })]);
  });

  it('refuses every write of a stale attempt once a newer attempt has claimed the task', async () => {
    const task = await newTask();
    const first = (await claimTask(db, task.id))!;
    // The job is redelivered (the first worker was presumed dead) and a second attempt claims it.
    const second = (await claimTask(db, task.id))!;
    expect(second.attempt).toBe(2);

    expect(await recordProgress(db, { id: task.id, attempt: first.attempt, progress: 50, message: 'stale' })).toBe(false);
    expect(await completeTask(db, { id: task.id, attempt: first.attempt, result: { echo: 'stale' }, retentionMs: DAY })).toBe(false);
    expect(await failTask(db, { id: task.id, attempt: first.attempt, error: { type: 'Error', message: 'stale' }, retentionMs: DAY })).toBe(false);
    expect(await scheduleRetry(db, { id: task.id, attempt: first.attempt, error: { type: 'Error', message: 'stale' }, nextAttemptInMs: 10 })).toBe(false);
    expect(await releaseTask(db, { id: task.id, attempt: first.attempt })).toBe(false);

    expect(await recordProgress(db, { id: task.id, attempt: second.attempt, progress: 40, message: 'step 2' })).toBe(true);
    expect(await completeTask(db, { id: task.id, attempt: second.attempt, result: { echo: 'fresh' }, retentionMs: DAY })).toBe(true);
    expect(await row(task.id)).toMatchObject({ status: 'SUCCESS', attempt: 2, result: { echo: 'fresh' }, progress: 100 });
    expect(await completeTask(db, { id: task.id, attempt: first.attempt, result: { echo: 'late' }, retentionMs: DAY })).toBe(false);
    expect((await row(task.id)).result).toEqual({ echo: 'fresh' });
    // The first attempt, which never finished, is recorded as lost.
    expect(attemptsOf((await findTask(db, task.id))!).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'lost'],
      [2, 'success'],
    ]);
    expect(attemptsOf((await findTask(db, task.id))!)[0]!.error).toMatchObject({ type: 'WorkerLost' });
  });

  it('never claims a finished or revoked task again, so a duplicate delivery does not rerun it', async () => {
    const task = await newTask();
    const claim = (await claimTask(db, task.id))!;
    await completeTask(db, { id: task.id, attempt: claim.attempt, result: { echo: 'hi' }, retentionMs: DAY });
    expect(await claimTask(db, task.id)).toBeUndefined();
    const failed = await newTask();
    const c2 = (await claimTask(db, failed.id))!;
    await failTask(db, { id: failed.id, attempt: c2.attempt, error: { type: 'Boom', message: 'no' }, retentionMs: DAY });
    expect(await claimTask(db, failed.id)).toBeUndefined();
    const revoked = await newTask();
    await revokeTask(db, revoked.id, tenantId, DAY);
    expect(await claimTask(db, revoked.id)).toBeUndefined();
  });

  it('gives concurrent claims distinct attempt numbers; only the last can still write', async () => {
    const task = await newTask();
    const claims = await Promise.all(Array.from({ length: 20 }, () => claimTask(db, task.id)));
    const attempts = claims.map((c) => c!.attempt).sort((a, b) => a - b);
    expect(attempts).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const results = await Promise.all(attempts.map((attempt) => completeTask(db, { id: task.id, attempt, result: attempt, retentionMs: DAY })));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await row(task.id)).result).toBe(20);
  });

  it('clamps progress into 0..100', async () => {
    const task = await newTask();
    const claim = (await claimTask(db, task.id))!;
    await recordProgress(db, { id: task.id, attempt: claim.attempt, progress: 140, message: null });
    expect((await row(task.id)).progress).toBe(100);
  });
});

describe('retries, failures and release', () => {
  it('schedules a retry: RETRY with the error and when the next attempt is due', async () => {
    const task = await newTask();
    const claim = (await claimTask(db, task.id))!;
    expect(await scheduleRetry(db, { ...claim, error: { type: 'Timeout', message: 'upstream slow' }, nextAttemptInMs: 60_000 })).toBe(true);
    const r = await row(task.id);
    expect(r).toMatchObject({ status: 'RETRY', error: { type: 'Timeout', message: 'upstream slow' }, message: 'Attempt 1 failed: upstream slow' });
    expect(r.next_attempt_at!.getTime() - Date.now()).toBeGreaterThan(50_000);
    expect(attemptsOf((await findTask(db, task.id))!)[0]).toMatchObject({ outcome: 'retry', error: { type: 'Timeout' }, finished_at: expect.any(String) });
    const next = (await claimTask(db, task.id))!;
    expect(next.attempt).toBe(2);
    expect((await row(task.id)).next_attempt_at).toBeNull();
  });

  it('files a final failure in the dead-letter table in the same statement', async () => {
    const task = await newTask();
    const claim = (await claimTask(db, task.id))!;
    await failTask(db, { ...claim, error: { type: 'PermanentError', message: 'bad input' }, retentionMs: DAY });
    expect(await row(task.id)).toMatchObject({
      status: 'FAILURE',
      error: { type: 'PermanentError', message: 'bad input' },
      finished_at: expect.any(Date),
      expires_at: expect.any(Date),
    });
    const dead = await db.selectFrom('dead_letters').selectAll().where('task_id', '=', task.id).executeTakeFirstOrThrow();
    expect(dead).toMatchObject({ tenant_id: tenantId, task: 'test_task', queue: 'monitoring', attempts: 1, error: { type: 'PermanentError' } });
  });

  it('releases a task of a worker shutting down without spending an attempt', async () => {
    const task = await newTask({ max_attempts: 1 });
    const claim = (await claimTask(db, task.id))!;
    expect(await releaseTask(db, claim)).toBe(true);
    expect(await row(task.id)).toMatchObject({ status: 'RETRY', max_attempts: 2 });
    expect(attemptsOf((await findTask(db, task.id))!)[0]!.outcome).toBe('released');
    expect((await claimTask(db, task.id))!.attempt).toBe(2);
  });
});

describe('revoke', () => {
  it('revokes a queued or running task and refuses a finished one', async () => {
    const queued = await newTask();
    expect(await revokeTask(db, queued.id, tenantId, DAY)).toMatchObject({ outcome: 'revoked', previous: 'PENDING', row: { status: 'REVOKED' } });
    const running = await newTask();
    const claim = (await claimTask(db, running.id))!;
    expect(await revokeTask(db, running.id, tenantId, DAY)).toMatchObject({ outcome: 'revoked', previous: 'STARTED' });
    // The running attempt's writes are now refused.
    expect(await recordProgress(db, { ...claim, progress: 10, message: null })).toBe(false);
    expect(await completeTask(db, { ...claim, result: {}, retentionMs: DAY })).toBe(false);
    expect(attemptsOf((await findTask(db, running.id))!)[0]!.outcome).toBe('revoked');
    expect(await revokeTask(db, running.id, tenantId, DAY)).toMatchObject({ outcome: 'finished' });
    const other = (await createTenantWithKey(db, { name: 'other', plan: 'trial' })).tenant.id;
    const theirs = await newTask();
    expect(await revokeTask(db, theirs.id, other, DAY)).toEqual({ outcome: 'not_found' });
  });
});

describe('submission', () => {
  it('makes exactly one task from 500 concurrent inserts with one idempotency key', async () => {
    const key = `key-${randomUUID()}`;
    const rows = await Promise.all(Array.from({ length: 500 }, () => newTask({ idempotency_key: key })));
    expect(new Set(rows.map((r) => r.id)).size).toBe(1);
    const count = await db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('idempotency_key', '=', key)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  }, 120_000);

  it('inserts a batch in one statement and reports which keys were already used', async () => {
    const key = `batch-${randomUUID()}`;
    const earlier = await newTask({ idempotency_key: key });
    const batch = [
      { id: randomUUID(), tenant_id: tenantId, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1 },
      { id: randomUUID(), tenant_id: tenantId, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1, idempotency_key: key },
    ];
    const submitted = await insertTasks(db, batch);
    expect(submitted.map((s) => s.created)).toEqual([true, false]);
    expect(submitted[1]!.row.id).toBe(earlier.id);
  });

  it("sets run_at from Postgres' clock: the delay after the row's own created_at, to the millisecond", async () => {
    const [delayed, now] = await insertTasks(db, [
      { id: randomUUID(), tenant_id: tenantId, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1, delay_ms: 90_000 },
      { id: randomUUID(), tenant_id: tenantId, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1, delay_ms: 0 },
    ]);
    expect(delayed!.row.run_at!.getTime() - delayed!.row.created_at.getTime()).toBe(90_000);
    expect(now!.row.run_at).toBeNull();
  });

  it('deletes only tasks that no worker has claimed', async () => {
    const untouched = await newTask();
    const claimed = await newTask();
    await claimTask(db, claimed.id);
    expect(await deleteUnstartedTasks(db, [untouched.id, claimed.id])).toBe(1);
    expect(await findTaskForTenant(db, claimed.id, tenantId)).toBeDefined();
  });

  it("hides another tenant's task", async () => {
    const task = await newTask();
    const other = (await createTenantWithKey(db, { name: 'other2', plan: 'growth' })).tenant.id;
    expect(await findTaskForTenant(db, task.id, other)).toBeUndefined();
  });
});
