import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type Database, createTenantWithKey, insertTasks, scheduleRetry, writeTaskStates } from '../src';
import { openTestDb } from './helpers';

// Migration 0020: every write of a task before its end leaves the indexes alone (a heap-only
// update), and the end does not. Counted in Postgres' own statistics for the transaction
// (pg_stat_xact_user_tables), which see this transaction's updates at once.

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;
beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'hot', plan: 'growth' })).tenant.id;
});
afterAll(() => close());

/** What `write` returned, and the updates of tasks it made: all, and heap-only. */
async function counted<T>(write: (trx: Kysely<Database>) => Promise<T>): Promise<{ value: T; updates: { all: number; hot: number } }> {
  return db.transaction().execute(async (trx) => {
    // The view also holds this connection's counts not yet flushed from earlier transactions.
    const before = await updates(trx);
    const value = await write(trx);
    const after = await updates(trx);
    return { value, updates: { all: after.all - before.all, hot: after.hot - before.hot } };
  });
}

/** Updates of tasks in this transaction so far: all, and heap-only. */
async function updates(trx: Kysely<Database>): Promise<{ all: number; hot: number }> {
  const { rows } = await sql<{ all: string; hot: string }>`
    select n_tup_upd as all, n_tup_hot_upd as hot from pg_stat_xact_user_tables where relname = 'tasks'`.execute(trx);
  return { all: Number(rows[0]?.all ?? 0), hot: Number(rows[0]?.hot ?? 0) };
}

it('the claims of a batch are heap-only updates; the end of each task is not', async () => {
  // A batch fills whole pages, as a batch submission does; a tag and a campaign put the rows
  // in the partial indexes too.
  const ids = (
    await insertTasks(
      db,
      Array.from({ length: 200 }, () => ({
        id: randomUUID(),
        tenant_id: tenantId,
        task: 'ping',
        queue: 'monitoring',
        payload: { campaign_id: 'spring' },
        tags: ['hot'],
        max_attempts: 3,
      })),
    )
  ).map((s) => s.row.id);

  // Each step commits on its own, as the worker's writes do (a later write can then prune the
  // versions an earlier one left on the page).
  const claims = await counted((trx) =>
    writeTaskStates(
      trx,
      ids.map((id) => ({ kind: 'claim' as const, id, worker: 'worker-1' })),
    ),
  );
  expect(claims.value.every((c) => c !== undefined)).toBe(true);
  expect(claims.updates).toEqual({ all: 200, hot: 200 });

  // Later writes before the end (progress, a retry, a release) find room once Postgres has
  // pruned the claim's old versions from the page, which depends on what else holds back the
  // server's horizon; what makes them heap-only where they fit is that no index reads a column
  // they change, checked next.
  await writeTaskStates(
    db,
    ids.map((id) => ({ kind: 'progress' as const, id, attempt: 1, progress: 50, message: 'half way' })),
  );
  expect(await scheduleRetry(db, { id: ids[0]!, attempt: 1, error: { type: 'Boom', message: 'again' }, nextAttemptInMs: 1000 })).toBe(true);

  // The end changes final_status, which the indexes read: never heap-only.
  const ends = await counted((trx) =>
    writeTaskStates(
      trx,
      ids.slice(1).map((id) => ({ kind: 'complete' as const, id, attempt: 1, result: 'pong', retentionMs: 60_000 })),
    ),
  );
  expect(ends.updates).toEqual({ all: 199, hot: 0 });

  const { rows } = await sql<{ final_status: string | null; n: string }>`
    select final_status, count(*) as n from tasks where id = any(${ids}::uuid[]) group by 1 order by 1`.execute(db);
  expect(rows).toEqual([
    { final_status: 'SUCCESS', n: '199' },
    { final_status: null, n: '1' },
  ]);
});

it('no index of tasks reads a column that a write before the end changes', async () => {
  // What the claim, progress, retry, release and deferral statements set (packages/db/src/tasks).
  const written = ['status', 'attempt', 'progress', 'message', 'worker', 'started_at', 'updated_at', 'next_attempt_at', 'attempt_history', 'error'];
  const { rows } = await sql<{ name: string; def: string }>`
    select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as def from pg_index where indrelid = 'tasks'::regclass`.execute(db);
  expect(rows.length).toBeGreaterThan(5);
  const reading = rows.flatMap(({ name, def }) =>
    written.filter((column) => new RegExp(`\\b${column}\\b`).test(def)).map((column) => `${name} reads ${column}`),
  );
  expect(reading).toEqual([]);
});
