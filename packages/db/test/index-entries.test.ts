import { randomUUID } from 'node:crypto';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { type Database, createTenantWithKey, decodeCursor, insertTasks, listTasksForTenant, queueOverview, writeTaskStates } from '../src';
import { openTestDb } from './helpers';

// What a task costs the indexes of tasks (issue 21): each entry is a write at its insert or its
// end. Entries are counted in the index pages themselves (pageinspect), in this file's own
// database, so only these tests' tasks are there.

let db: Kysely<Database>;
let close: () => Promise<void>;
let url: string;
let tenantId: string;
beforeAll(async () => {
  let testDb;
  ({ db, close, testDb } = await openTestDb());
  url = testDb.url;
  tenantId = (await createTenantWithKey(db, { name: 'entries', plan: 'growth' })).tenant.id;
  await sql`create extension if not exists pageinspect`.execute(db);
});
afterAll(() => close());

/** The heap pointers in the leaf pages of an index (dead ones included: each was a write). */
async function entries(index: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select coalesce(sum(coalesce(cardinality(item.tids), 1)), 0)::int as n
      from generate_series(1, (pg_relation_size(${index}::regclass) / current_setting('block_size')::int - 1)::int) as b(block),
           lateral bt_page_stats(${index}, b.block) as page,
           lateral bt_page_items(${index}, b.block) as item
     where page.type = 'l' and (page.btpo_next = 0 or item.itemoffset > 1)`.execute(db);
  return rows[0]!.n;
}

class Rollback extends Error {}

const ping = () => ({ id: randomUUID(), tenant_id: tenantId, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 3 });

it('the overview index takes a task at its end, not at its insert (migration 0022)', async () => {
  const ids = (await insertTasks(db, Array.from({ length: 50 }, ping))).map((s) => s.row.id);
  expect(await entries('tasks_tenant_finished')).toBe(0);
  expect(await entries('tasks_open')).toBe(50);

  const claims = await writeTaskStates(
    db,
    ids.map((id) => ({ kind: 'claim' as const, id, worker: 'w' })),
  );
  expect(claims.every((c) => c !== undefined)).toBe(true);
  expect(await entries('tasks_tenant_finished')).toBe(0);

  const ends = await writeTaskStates(
    db,
    ids.map((id) => ({ kind: 'complete' as const, id, attempt: 1, result: 'pong', retentionMs: 60_000 })),
  );
  expect(ends.every((e) => e === true)).toBe(true);
  expect(await entries('tasks_tenant_finished')).toBe(50);

  // And the overview still counts them, from that index.
  const figures = await queueOverview(db, { tenantId, queues: ['monitoring'], windowMs: 3_600_000, bucketMs: 60_000 });
  expect(figures.get('monitoring')!.counts).toEqual({ SUCCESS: 50 });
  expect(figures.get('monitoring')!.series.reduce((sum, b) => sum + b.succeeded, 0)).toBe(50);
});

it("the overview's statements for ended tasks can read the partial index", async () => {
  // The planner must see that each statement's condition implies the index's predicate: with
  // the other indexes out of its way (dropped in a transaction that is rolled back) and no
  // sequential scan, it reads this one.
  await db
    .transaction()
    .execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const { rows: others } = await sql<{ name: string }>`
      select indexrelid::regclass::text as name from pg_index
       where indrelid = 'tasks'::regclass and indexrelid <> 'tasks_tenant_finished'::regclass and not indisprimary and not indisunique`.execute(trx);
      for (const { name } of others) await sql`drop index ${sql.id(name)}`.execute(trx);
      for (const condition of [sql`final_status is not null`, sql`final_status in ('SUCCESS', 'FAILURE')`]) {
        const { rows } = await sql<{ 'QUERY PLAN': string }>`
        explain select queue, final_status, count(*) from tasks
         where tenant_id = ${tenantId} and finished_at >= now() - interval '1 hour' and ${condition} group by 1, 2`.execute(trx);
        expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/tasks_tenant_finished/);
      }
      throw new Rollback();
    })
    .catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
});

it('a batch without keys is one plain insert: a repeated id refuses the whole batch', async () => {
  const first = ping();
  await insertTasks(db, [first]);
  const fresh = ping();
  await expect(insertTasks(db, [fresh, { ...ping(), id: first.id }])).rejects.toThrow(/tasks_pkey/);
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from tasks where id = ${fresh.id}::uuid`.execute(db);
  expect(rows[0]!.n).toBe(0);
});

it('the list without a filter merges the ranges of tasks_tenant_final_created, each read in order (migration 0022)', async () => {
  const { tenant } = await createTenantWithKey(db, { name: 'list', plan: 'growth' });
  const ids = (
    await insertTasks(
      db,
      Array.from({ length: 3000 }, () => ({ ...ping(), tenant_id: tenant.id })),
    )
  ).map((s) => s.row.id);
  const ended = ids.slice(0, 1000);
  await writeTaskStates(
    db,
    ended.map((id) => ({ kind: 'claim' as const, id, worker: 'w' })),
  );
  await writeTaskStates(
    db,
    ended.map((id) => ({ kind: 'complete' as const, id, attempt: 1, result: 'pong', retentionMs: 60_000 })),
  );
  await sql`analyze tasks`.execute(db);

  // The statement the list runs, caught as it runs, then explained.
  const statements: CompiledQuery[] = [];
  const pool = new Pool({ connectionString: url, max: 1 });
  const logged = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (event) => void statements.push(event.query) });
  try {
    const seen: string[] = [];
    let after: { createdAt: string; id: string } | undefined;
    for (;;) {
      const page = await listTasksForTenant(logged, tenant.id, { limit: 700, after });
      seen.push(...page.rows.map((r) => r.id));
      if (!page.next) break;
      after = decodeCursor(page.next);
    }
    expect(seen).toHaveLength(3000);
    expect(new Set(seen)).toEqual(new Set(ids));
    // One insert: one created_at, so newest first is by id, descending.
    expect(seen).toEqual([...seen].sort().reverse());

    const list = statements.at(-1)!;
    const { rows } = await logged.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${list.sql}`, [...list.parameters]));
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan.match(/Index Scan using tasks_tenant_final_created/g)).toHaveLength(4);
    expect(plan).not.toMatch(/Seq Scan|Bitmap/);
  } finally {
    await logged.destroy();
  }
});
