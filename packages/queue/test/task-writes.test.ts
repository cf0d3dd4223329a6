import type { Database } from '@conveyor/db';
import { type Kysely, sql } from 'kysely';
import { GroupCommitTaskWrites } from '../src';
import { addTask, openTestDb, taskRow } from './helpers';

let db: Kysely<Database>;
let tenantId: string;
let close: () => Promise<void>;
beforeAll(async () => ({ db, tenantId, close } = await openTestDb()));
afterAll(() => close());

/** Holds a task's row locked in another transaction until the returned function is called. */
async function lockRow(id: string): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const holding = new Promise<void>((resolve) => (locked = resolve));
  const transaction = db.transaction().execute(async (trx) => {
    await sql`select 1 from tasks where id = ${id} for update`.execute(trx);
    locked();
    await released;
  });
  await holding;
  return async () => {
    release();
    await transaction;
  };
}

/** Resolves once some statement of this database waits for a row lock. */
async function someStatementWaitsForALock(): Promise<void> {
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
    if (rows[0]!.n > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GroupCommitTaskWrites', () => {
  it("a claim is written while another task's result is still waiting to commit", async () => {
    const writes = new GroupCommitTaskWrites(db);
    const finishing = await addTask(db, tenantId, 'ping', {});
    const fetched = await addTask(db, tenantId, 'ping', {});
    const claim = await writes.claim(finishing.id);
    // Another session holds the finishing task's row, so its result's statement cannot commit.
    const unlock = await lockRow(finishing.id);
    let resultSettled = false;
    const result = writes.complete({ id: finishing.id, attempt: claim!.attempt, result: 'pong', retentionMs: 60_000 }).finally(() => (resultSettled = true));
    try {
      await someStatementWaitsForALock();
      // A lone claim does not queue behind a lone statement in flight: it commits on its own
      // (waiting for that statement, it would wait here until the lock is released, and the
      // test would time out).
      expect(await writes.claim(fetched.id)).toMatchObject({ id: fetched.id, attempt: 1 });
      expect(await taskRow(db, fetched.id)).toMatchObject({ status: 'STARTED' });
      expect(resultSettled).toBe(false);
    } finally {
      await unlock();
    }
    expect(await result).toBe(true);
    expect(await taskRow(db, finishing.id)).toMatchObject({ status: 'SUCCESS', result: 'pong' });
  });

  it("a task's progress and result keep their order", async () => {
    const writes = new GroupCommitTaskWrites(db);
    const task = await addTask(db, tenantId, 'ping', {});
    const claim = await writes.claim(task.id);
    const ref = { id: task.id, attempt: claim!.attempt };
    const [progressed, completed] = await Promise.all([
      writes.progress({ ...ref, progress: 50, message: 'half' }),
      writes.complete({ ...ref, result: 'pong', retentionMs: 60_000 }),
    ]);
    expect([progressed, completed]).toEqual([true, true]);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'SUCCESS', progress: 100 });
  });
});
