import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  type Database,
  claimTask,
  completeTask,
  createTenantWithKey,
  deleteUnstartedTask,
  failTask,
  findTaskForTenant,
  insertTask,
  recordProgress,
} from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;

beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'acme', plan: 'trial' })).tenant.id;
});
afterAll(() => close());

async function newTask() {
  return insertTask(db, { id: randomUUID(), tenant_id: tenantId, task: 'test_task', queue: 'monitoring', payload: { message: 'hi' }, max_attempts: 3 });
}

describe('task state compare-and-set', () => {
  it('claims a pending task once per delivery and bumps the attempt', async () => {
    const task = await newTask();
    expect(task.status).toBe('PENDING');
    const claim = await claimTask(db, task.id);
    expect(claim).toMatchObject({ id: task.id, attempt: 1, payload: { message: 'hi' }, task: 'test_task' });
    const row = await findTaskForTenant(db, task.id, tenantId);
    expect(row).toMatchObject({ status: 'STARTED', attempt: 1 });
    expect(row!.started_at).toBeInstanceOf(Date);
  });

  it('refuses every write of a stale attempt once a newer attempt has claimed the task', async () => {
    const task = await newTask();
    const first = (await claimTask(db, task.id))!;
    // The job is redelivered (the first worker was presumed dead) and a second attempt claims it.
    const second = (await claimTask(db, task.id))!;
    expect(second.attempt).toBe(2);

    expect(await recordProgress(db, { id: task.id, attempt: first.attempt, progress: 50, message: 'stale' })).toBe(false);
    expect(await completeTask(db, { id: task.id, attempt: first.attempt, result: { echo: 'stale' } })).toBe(false);
    expect(await failTask(db, { id: task.id, attempt: first.attempt, error: { type: 'Error', message: 'stale' } })).toBe(false);

    expect(await recordProgress(db, { id: task.id, attempt: second.attempt, progress: 40, message: 'step 2' })).toBe(true);
    expect(await completeTask(db, { id: task.id, attempt: second.attempt, result: { echo: 'fresh' } })).toBe(true);
    const row = await findTaskForTenant(db, task.id, tenantId);
    expect(row).toMatchObject({ status: 'SUCCESS', attempt: 2, result: { echo: 'fresh' }, progress: 100 });
    // The stale attempt finishing late changes nothing either.
    expect(await completeTask(db, { id: task.id, attempt: first.attempt, result: { echo: 'late' } })).toBe(false);
    expect((await findTaskForTenant(db, task.id, tenantId))!.result).toEqual({ echo: 'fresh' });
  });

  it('never claims a finished task again, so a duplicate delivery does not rerun it', async () => {
    const task = await newTask();
    const claim = (await claimTask(db, task.id))!;
    await completeTask(db, { id: task.id, attempt: claim.attempt, result: { echo: 'hi' } });
    expect(await claimTask(db, task.id)).toBeUndefined();
    const failed = await newTask();
    const c2 = (await claimTask(db, failed.id))!;
    await failTask(db, { id: failed.id, attempt: c2.attempt, error: { type: 'Boom', message: 'no' } });
    expect(await claimTask(db, failed.id)).toBeUndefined();
    expect(await findTaskForTenant(db, failed.id, tenantId)).toMatchObject({ status: 'FAILURE', error: { type: 'Boom', message: 'no' }, message: 'no' });
  });

  it('lets exactly one of many concurrent claims of one delivery win per attempt number', async () => {
    const task = await newTask();
    const claims = await Promise.all(Array.from({ length: 20 }, () => claimTask(db, task.id)));
    const attempts = claims.map((c) => c!.attempt).sort((a, b) => a - b);
    // Every claim is serialised by the row lock and gets its own attempt number.
    expect(attempts).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Only the last attempt can still write.
    const results = await Promise.all(attempts.map((attempt) => completeTask(db, { id: task.id, attempt, result: attempt })));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await findTaskForTenant(db, task.id, tenantId))!.result).toBe(20);
  });

  it('clamps progress into 0..100', async () => {
    const task = await newTask();
    const claim = (await claimTask(db, task.id))!;
    await recordProgress(db, { id: task.id, attempt: claim.attempt, progress: 140, message: null });
    expect((await findTaskForTenant(db, task.id, tenantId))!.progress).toBe(100);
  });

  it('deletes only a task that no worker has claimed', async () => {
    const untouched = await newTask();
    expect(await deleteUnstartedTask(db, untouched.id)).toBe(true);
    const claimed = await newTask();
    await claimTask(db, claimed.id);
    expect(await deleteUnstartedTask(db, claimed.id)).toBe(false);
  });

  it("hides another tenant's task", async () => {
    const task = await newTask();
    const other = (await createTenantWithKey(db, { name: 'other', plan: 'growth' })).tenant.id;
    expect(await findTaskForTenant(db, task.id, other)).toBeUndefined();
    expect(await findTaskForTenant(db, task.id, tenantId)).toBeDefined();
  });
});
