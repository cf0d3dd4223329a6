import { createEmptyDatabase } from '@conveyor/testkit';
import { Migrator, sql } from 'kysely';
import { MIGRATIONS, createDb, createTenantWithKey, migrateUrl, migrationNames } from '../src';

describe('migrations', () => {
  it('are safe to run from several processes at once and end in the latest schema', async () => {
    const empty = await createEmptyDatabase();
    try {
      await Promise.all(Array.from({ length: 5 }, () => migrateUrl(empty.url)));
      const db = createDb(empty.url);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
      expect(applied.rows.map((r) => r.name)).toEqual(migrationNames());
      const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public' order by 1`.execute(db);
      expect(tables.rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(['api_keys', 'tasks', 'tenants']));
      await db.destroy();
    } finally {
      await empty.drop();
    }
  });

  it('moves the attempt rows of existing tasks into attempt_history, and back down', async () => {
    const empty = await createEmptyDatabase();
    const db = createDb(empty.url);
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateTo('2026_11_25_0004_schedules')).error).toBeUndefined();
      const tenant = (await sql<{ id: string }>`insert into tenants (name, plan) values ('t', 'trial') returning id`.execute(db)).rows[0]!.id;
      const [a, b] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
      await sql`insert into tasks (id, tenant_id, task, queue, payload, max_attempts, status, attempt, started_at)
                values (${a}, ${tenant}, 'ping', 'monitoring', '{}', 3, 'SUCCESS', 2, now()), (${b}, ${tenant}, 'ping', 'monitoring', '{}', 3, 'PROGRESS', 1, now())`.execute(
        db,
      );
      await sql`insert into task_attempts (task_id, attempt, finished_at, outcome, error) values
                (${a}, 1, now(), 'retry', '{"type":"Boom","message":"first"}'), (${a}, 2, now(), 'success', null), (${b}, 1, null, 'running', null)`.execute(
        db,
      );

      expect((await migrator.migrateTo('2026_11_25_0005_attempt_history_in_row')).error).toBeUndefined();
      const rows = (
        await sql<{
          id: string;
          attempt_history: { attempt: number; outcome: string; error: unknown }[];
        }>`select id, attempt_history from tasks order by id`.execute(db)
      ).rows;
      expect(rows[0]!.attempt_history.map((h) => [h.attempt, h.outcome, h.error])).toEqual([
        [1, 'retry', { type: 'Boom', message: 'first' }],
        [2, 'success', null],
      ]);
      expect(rows[1]!.attempt_history).toEqual([]); // the running attempt is the task itself

      expect((await migrator.migrateDown()).error).toBeUndefined();
      const back = (
        await sql<{ task_id: string; attempt: number; outcome: string }>`select task_id, attempt, outcome from task_attempts order by task_id, attempt`.execute(
          db,
        )
      ).rows;
      expect(back.map((r) => [r.task_id, r.attempt, r.outcome])).toEqual([
        [a, 1, 'retry'],
        [a, 2, 'success'],
        [b, 1, 'running'],
      ]);
    } finally {
      await db.destroy();
      await empty.drop();
    }
  });
  it('take the posts tables down and up again (migration 0007)', async () => {
    const empty = await createEmptyDatabase();
    const db = createDb(empty.url);
    const postTables = async () =>
      (
        await sql<{ tablename: string }>`select tablename from pg_tables where tablename in ('x_accounts', 'posts', 'metrics_snapshots') order by 1`.execute(db)
      ).rows.map((r) => r.tablename);
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await postTables()).toEqual(['metrics_snapshots', 'posts', 'x_accounts']);
      expect((await migrator.migrateTo('2026_11_26_0006_replay_resets_lost_attempts')).error).toBeUndefined();
      expect(await postTables()).toEqual([]);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await postTables()).toEqual(['metrics_snapshots', 'posts', 'x_accounts']);
    } finally {
      await db.destroy();
      await empty.drop();
    }
  });
  it('take the ingestion sources and the system tenant down and up again, a deferred run kept as a failure (migration 0010)', async () => {
    const empty = await createEmptyDatabase();
    const db = createDb(empty.url);
    const system = '00000000-0000-4000-8000-000000000000';
    const count = async (query: string) => (await sql<{ n: string }>`select count(*) as n from ${sql.raw(query)}`.execute(db)).rows[0]!.n;
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await count(`tenants where id = '${system}' and name = 'conveyor-system' and plan = 'growth'`)).toBe('1');
      await sql`insert into schedules (tenant_id, name, kind, cron, task, payload) values (${system}, 'ingestion:fred', 'cron', '0 7 * * *', 'ingest_source', '{"source":"fred"}')`.execute(
        db,
      );
      await sql`insert into ingestion_sources (source, schedule_id) select 'fred', id from schedules`.execute(db);
      await sql`insert into ingestion_runs (source, status, finished_at) values ('fred', 'deferred', now()), ('fred', 'succeeded', now())`.execute(db);

      expect((await migrator.migrateTo('2026_12_05_0009_ingestion')).error).toBeUndefined();
      expect(await count(`pg_tables where tablename = 'ingestion_sources'`)).toBe('0');
      expect(await count(`tenants`)).toBe('0'); // its schedules went with it
      expect(await count(`schedules`)).toBe('0');
      const runs = await sql<{ status: string; error: unknown }>`select status, error from ingestion_runs order by status`.execute(db);
      expect(runs.rows).toEqual([
        { status: 'failed', error: { type: 'Deferred', message: 'the run was deferred' } },
        { status: 'succeeded', error: null },
      ]);
      await expect(sql`insert into ingestion_runs (source, status, finished_at) values ('fred', 'deferred', now())`.execute(db)).rejects.toMatchObject({
        code: '23514',
      });

      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await count(`tenants where id = '${system}'`)).toBe('1');
      await sql`insert into ingestion_runs (source, status, finished_at) values ('fred', 'deferred', now())`.execute(db);
    } finally {
      await db.destroy();
      await empty.drop();
    }
  });
  it('take the dataset tables down and up again, a session with nodes and chunks included (migration 0011)', async () => {
    const empty = await createEmptyDatabase();
    const db = createDb(empty.url);
    const tables = async () =>
      (await sql<{ tablename: string }>`select tablename from pg_tables where tablename like 'dataset\\_%' order by 1`.execute(db)).rows.map(
        (r) => r.tablename,
      );
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await tables()).toEqual(['dataset_chunks', 'dataset_nodes', 'dataset_sessions']);
      await sql`with t as (insert into tenants (name, plan) values ('t', 'trial') returning id),
                     c as (insert into conversations (id, tenant_id) select gen_random_uuid(), id from t returning id, tenant_id),
                     s as (insert into dataset_sessions (id, tenant_id, name) select id, tenant_id, 's' from c returning id, tenant_id),
                     n as (insert into dataset_nodes (id, session_id, tenant_id) select gen_random_uuid(), id, tenant_id from s returning id)
                insert into dataset_chunks (node_id, chunk_no, row_count, rows) select id, 0, 1, '[[1]]' from n`.execute(db);
      expect((await migrator.migrateTo('2026_12_05_0010_ingestion_sources')).error).toBeUndefined();
      expect(await tables()).toEqual([]);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await tables()).toEqual(['dataset_chunks', 'dataset_nodes', 'dataset_sessions']);
    } finally {
      await db.destroy();
      await empty.drop();
    }
  });

  it('file existing usage under its period and give month-end anchors periods that contain their starts, and back down (migration 0016)', async () => {
    const empty = await createEmptyDatabase();
    const db = createDb(empty.url);
    const startAt = async (at: string) =>
      (await sql<{ s: Date }>`select conveyor_period_start('2027-01-31 10:00Z', ${at}::timestamptz) as s`.execute(db)).rows[0]!.s.toISOString();
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateTo('2026_12_05_0013_task_tags_metadata')).error).toBeUndefined();
      const tenant = (
        await sql<{ id: string }>`insert into tenants (name, plan, billing_anchor) values ('t', 'trial', '2027-01-31 10:00Z') returning id`.execute(db)
      ).rows[0]!.id;
      await sql`insert into usage_tracking (tenant_id, action_type, model_used, prompt_tokens, completion_tokens, cost_usd, created_at)
                values (${tenant}, 'a', 'm', 1, 1, 0.1, '2027-02-10Z'), (${tenant}, 'a', 'm', 1, 1, 0.2, '2027-02-28 12:00Z')`.execute(db);
      // 0003's rule: an instant after Feb 28 10:00 still in the Jan 31 period, though Feb 28 10:00 starts the next.
      expect(await startAt('2027-02-28 12:00Z')).toBe('2027-01-31T10:00:00.000Z');

      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await startAt('2027-02-28 12:00Z')).toBe('2027-02-28T10:00:00.000Z');
      const filed = await sql<{ cost: string; p: Date }>`select cost_usd as cost, period_start as p from usage_tracking order by cost_usd`.execute(db);
      expect(filed.rows.map((r) => [Number(r.cost), r.p.toISOString()])).toEqual([
        [0.1, '2027-01-31T10:00:00.000Z'],
        [0.2, '2027-02-28T10:00:00.000Z'],
      ]);

      expect((await migrator.migrateTo('2026_12_05_0013_task_tags_metadata')).error).toBeUndefined();
      expect(await startAt('2027-02-28 12:00Z')).toBe('2027-01-31T10:00:00.000Z');
      const columns = await sql<{
        n: number;
      }>`select count(*)::int as n from information_schema.columns where table_name = 'usage_tracking' and column_name = 'period_start'`.execute(db);
      expect(columns.rows[0]!.n).toBe(0);
    } finally {
      await db.destroy();
      await empty.drop();
    }
  });

  it('make the billing period functions inlinable with the same periods, and back down (migration 0021)', async () => {
    const empty = await createEmptyDatabase();
    const db = createDb(empty.url);
    // Every (anchor, instant) pair of a grid: anchors on month ends, a leap day and mid-month,
    // instants every 13 hours over two years, each side of every period's start.
    const periods = async () =>
      (
        await sql<{ p: string }>`
          select string_agg(format('%s %s %s %s %s', a, at, conveyor_period_index(a, at), conveyor_period_start(a, at), conveyor_period_end(a, at)), ';' order by a, at) as p
            from unnest(array['2026-01-31 10:00Z', '2028-02-29 00:00Z', '2026-03-15 12:34:56.789Z', '2026-12-31 23:59:59.999Z']::timestamptz[]) a,
                 generate_series(a - interval '2 days', a + interval '2 years', interval '13 hours') at`.execute(db)
      ).rows[0]!.p;
    // Whether the planner inlined conveyor_period_index into a statement that calls conveyor_period_start.
    const inlined = async () =>
      !(await sql<{ 'QUERY PLAN': string }>`explain verbose select conveyor_period_start(now() - interval '40 days', now())`.execute(db)).rows.some((r) =>
        r['QUERY PLAN'].includes('conveyor_period_index'),
      );
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateTo('2026_12_05_0019_console_sessions')).error).toBeUndefined();
      const before = await periods();
      expect(await inlined()).toBe(false);
      expect((await migrator.migrateTo('2026_12_05_0021_inline_period_functions')).error).toBeUndefined();
      expect(await inlined()).toBe(true);
      expect(await periods()).toBe(before);
      expect((await migrator.migrateDown()).error).toBeUndefined();
      expect(await inlined()).toBe(false);
      expect(await periods()).toBe(before);
    } finally {
      await db.destroy();
      await empty.drop();
    }
  });
  it("move the open tasks into one index and back down, the tasks' rows in both (migration 0023)", async () => {
    const empty = await createEmptyDatabase();
    const db = createDb(empty.url);
    const indexes = async () =>
      (await sql<{ def: string }>`select indexdef as def from pg_indexes where tablename = 'tasks' order by indexname`.execute(db)).rows.map((r) => r.def);
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateTo('2026_12_05_0022_fewer_task_index_entries')).error).toBeUndefined();
      const { tenant } = await createTenantWithKey(db, { name: 'm23', plan: 'growth' });
      await sql`insert into tasks (id, tenant_id, task, queue, payload, max_attempts, status)
                select gen_random_uuid(), ${tenant.id}, 'ping', 'monitoring', '{}', 3, s from unnest(array['PENDING', 'SUCCESS']) s`.execute(db);
      const before = await indexes();
      expect((await migrator.migrateTo('2026_12_05_0023_one_index_for_open_tasks')).error).toBeUndefined();
      const after = await indexes();
      expect(after).toContain('CREATE INDEX tasks_open ON public.tasks USING btree (tenant_id, created_at, id) WHERE (final_status IS NULL)');
      expect(after.find((d) => d.includes('tasks_tenant_final_created'))).toMatch(/WHERE \(final_status IS NOT NULL\)$/);
      expect((await migrator.migrateDown()).error).toBeUndefined();
      expect(await indexes()).toEqual(before);
    } finally {
      await db.destroy();
      await empty.drop();
    }
  });
  it('keep a deferred attempt as released when attempt_history goes back to task_attempts (migration 0005 down, with later data)', async () => {
    const empty = await createEmptyDatabase();
    const db = createDb(empty.url);
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const tenant = (await sql<{ id: string }>`insert into tenants (name, plan) values ('t', 'trial') returning id`.execute(db)).rows[0]!.id;
      const task = '00000000-0000-4000-8000-00000000000d';
      const history = [
        { attempt: 1, started_at: '2026-12-01T00:00:00Z', finished_at: '2026-12-01T00:00:01Z', outcome: 'deferred', error: null, worker: 'w1' },
        {
          attempt: 2,
          started_at: '2026-12-01T00:01:00Z',
          finished_at: '2026-12-01T00:01:01Z',
          outcome: 'retry',
          error: { type: 'Boom', message: 'x' },
          worker: 'w1',
        },
      ];
      await sql`insert into tasks (id, tenant_id, task, queue, payload, max_attempts, status, attempt, attempt_history)
                values (${task}, ${tenant}, 'generate', 'generation', '{}', 4, 'RETRY', 2, ${JSON.stringify(history)})`.execute(db);
      expect((await migrator.migrateTo('2026_11_25_0004_schedules')).error).toBeUndefined();
      const rows = await sql<{ attempt: number; outcome: string }>`select attempt, outcome from task_attempts order by attempt`.execute(db);
      expect(rows.rows).toEqual([
        { attempt: 1, outcome: 'released' },
        { attempt: 2, outcome: 'retry' },
      ]);
    } finally {
      await db.destroy();
      await empty.drop();
    }
  });
  it('drop the metrics snapshots at a stage in seconds, keeping the others, when seconds stages go (migration 0008 down)', async () => {
    const empty = await createEmptyDatabase();
    const db = createDb(empty.url);
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      await sql`with t as (insert into tenants (name, plan) values ('t', 'trial') returning id),
                     a as (insert into x_accounts (tenant_id, handle, api_tier, token_secret_ref) select id, 'acme', 'free', 'env:X' from t returning id, tenant_id),
                     p as (insert into posts (tenant_id, account_id, text) select tenant_id, id, 'hi' from a returning id, tenant_id)
                insert into metrics_snapshots (tenant_id, post_id, stage) select tenant_id, id, s from p, unnest(array['30s', '15m', '1h']) s`.execute(db);
      expect((await migrator.migrateTo('2026_12_04_0007_x_accounts_posts')).error).toBeUndefined();
      const stages = await sql<{ stage: string }>`select stage from metrics_snapshots order by stage`.execute(db);
      expect(stages.rows.map((r) => r.stage)).toEqual(['15m', '1h']);
    } finally {
      await db.destroy();
      await empty.drop();
    }
  });
});
