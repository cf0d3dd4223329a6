import { randomUUID } from 'node:crypto';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { type Database, createTenantWithKey, decodeCursor, findUnfinishedTasks, insertTasks, listTasksForTenant, queueOverview, writeTaskStates } from '../src';
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

/** The entries of every index of tasks. */
async function allEntries(): Promise<number> {
  const { rows } = await sql<{ name: string }>`
    select indexrelid::regclass::text as name from pg_index join pg_class c on c.oid = indexrelid join pg_am am on am.oid = c.relam
     where indrelid = 'tasks'::regclass and am.amname = 'btree'`.execute(db);
  let n = 0;
  for (const { name } of rows) n += await entries(name);
  return n;
}

class Rollback extends Error {}

const ping = () => ({ id: randomUUID(), tenant_id: tenantId, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 3 });

it('a task takes 4 index entries at its insert, none at its claim and 6 at its end (migrations 0022, 0023)', async () => {
  // Runs first: on pages this small nothing is pruned or split between the counts.
  const before = await allEntries();
  const ids = (await insertTasks(db, Array.from({ length: 50 }, ping))).map((s) => s.row.id);
  const inserted = await allEntries();
  expect(inserted - before).toBe(4 * 50);
  await writeTaskStates(
    db,
    ids.map((id) => ({ kind: 'claim' as const, id, worker: 'w' })),
  );
  expect(await allEntries()).toBe(inserted);
  await writeTaskStates(
    db,
    ids.map((id) => ({ kind: 'complete' as const, id, attempt: 1, result: 'pong', retentionMs: 60_000 })),
  );
  expect((await allEntries()) - before).toBe(10 * 50);
});

it('the overview index and the final-status index take a task at its end, the open-task index at its insert (migrations 0022, 0023)', async () => {
  const opened = await entries('tasks_open');
  const ended = await entries('tasks_tenant_final_created');
  const finished = await entries('tasks_tenant_finished');
  const ids = (await insertTasks(db, Array.from({ length: 50 }, ping))).map((s) => s.row.id);
  expect(await entries('tasks_tenant_finished')).toBe(finished);
  expect(await entries('tasks_tenant_final_created')).toBe(ended);
  expect(await entries('tasks_open')).toBe(opened + 50);

  const claims = await writeTaskStates(
    db,
    ids.map((id) => ({ kind: 'claim' as const, id, worker: 'w' })),
  );
  expect(claims.every((c) => c !== undefined)).toBe(true);
  expect(await entries('tasks_tenant_finished')).toBe(finished);

  const ends = await writeTaskStates(
    db,
    ids.map((id) => ({ kind: 'complete' as const, id, attempt: 1, result: 'pong', retentionMs: 60_000 })),
  );
  expect(ends.every((e) => e === true)).toBe(true);
  expect(await entries('tasks_tenant_finished')).toBe(finished + 50);
  expect(await entries('tasks_tenant_final_created')).toBe(ended + 50);
  expect(await entries('tasks_open')).toBe(opened + 50);

  // And the overview still counts them (both tests' tasks), from that index.
  const figures = await queueOverview(db, { tenantId, queues: ['monitoring'], windowMs: 3_600_000, bucketMs: 60_000 });
  expect(figures.get('monitoring')!.counts).toEqual({ SUCCESS: 100 });
  expect(figures.get('monitoring')!.series.reduce((sum, b) => sum + b.succeeded, 0)).toBe(100);
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

it('the list without a filter merges the ended ranges of tasks_tenant_final_created and the open range of tasks_open, each read in order (migrations 0022, 0023)', async () => {
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
  // Creation times spread over the rows, three a time (so the cursor's id decides between
  // them), in the order of their ids: newest first is still by id, descending. With one time
  // for all, the planner's estimate of a cursor's range is a guess (none before it, all of it).
  await sql`update tasks t set created_at = t.created_at - (r.n / 3) * interval '1 second'
              from (select id, row_number() over (order by id desc) as n from tasks where tenant_id = ${tenant.id}) r
             where t.id = r.id`.execute(db);
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
    expect(seen).toEqual([...seen].sort().reverse());

    // The second page: a cursor, and more rows after it than the page takes (on the last page,
    // a few rows, a bitmap scan and a sort are as good a plan as any).
    const list = statements[1]!;
    const { rows } = await logged.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${list.sql}`, [...list.parameters]));
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan.match(/Index Scan using tasks_tenant_final_created/g)).toHaveLength(3);
    expect(plan.match(/Index Scan Backward using tasks_open/g)).toHaveLength(1);
    expect(plan).toMatch(/Index Cond: \(\(tenant_id = [^)]*\) AND \(ROW\(created_at, id\) < ROW\(/);
    expect(plan).not.toMatch(/Seq Scan|Bitmap/);
  } finally {
    await logged.destroy();
  }
});

it("the reconciler pages through every tenant's open tasks in tasks_open's order, each page a range of it (migration 0023)", async () => {
  const tenants = await Promise.all(['r1', 'r2', 'r3'].map(async (name) => (await createTenantWithKey(db, { name, plan: 'growth' })).tenant.id));
  const open = new Set<string>();
  for (const tenant of tenants) {
    const ids = (
      await insertTasks(
        db,
        Array.from({ length: 1000 }, () => ({ ...ping(), tenant_id: tenant })),
      )
    ).map((s) => s.row.id);
    // A third of them ended: not the reconciler's.
    const ended = ids.slice(0, 300);
    await writeTaskStates(
      db,
      ended.map((id) => ({ kind: 'claim' as const, id, worker: 'w' })),
    );
    await writeTaskStates(
      db,
      ended.map((id) => ({ kind: 'complete' as const, id, attempt: 1, result: 'pong', retentionMs: 60_000 })),
    );
    for (const id of ids.slice(300)) open.add(id);
  }
  // Past the grace period.
  await sql`update tasks set updated_at = now() - interval '1 hour' where tenant_id in (${sql.join(tenants)})`.execute(db);
  await sql`analyze tasks`.execute(db);

  const statements: CompiledQuery[] = [];
  const pool = new Pool({ connectionString: url, max: 1 });
  const logged = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (event) => void statements.push(event.query) });
  try {
    const seen: string[] = [];
    let afterId: string | undefined;
    for (;;) {
      const page = await findUnfinishedTasks(logged, { statuses: ['PENDING', 'RETRY', 'STARTED', 'PROGRESS'], graceMs: 60_000, afterId, limit: 250 });
      seen.push(...page.map((t) => t.id));
      if (page.length < 250) break;
      afterId = page.at(-1)!.id;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen.filter((id) => open.has(id)))).toEqual(open);

    // A page after the first: a range of the index, after the last row's key.
    const next = statements[1]!;
    const { rows } = await logged.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${next.sql}`, [...next.parameters]));
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(
      /(Index Scan using tasks_open on tasks t|Bitmap Index Scan on tasks_open)[^\n]*\n\s*Index Cond: \(ROW\(tenant_id, created_at, id\) > ROW\(/,
    );
    expect(plan).not.toMatch(/Seq Scan on tasks t/);
  } finally {
    await logged.destroy();
  }
});
