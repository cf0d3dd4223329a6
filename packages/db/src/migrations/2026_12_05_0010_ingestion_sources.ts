import { type Kysely, sql } from 'kysely';

// Frozen: the state of each ingestion source (its system schedule and its watermark), the
// tenant that owns the system schedules, and the 'deferred' outcome of a run.

// SYSTEM_TENANT_ID of @conveyor/contracts, written out: a migration imports no app code.
const SYSTEM_TENANT = '00000000-0000-4000-8000-000000000000';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`insert into tenants (id, name, plan) values (${SYSTEM_TENANT}::uuid, 'conveyor-system', 'growth') on conflict (id) do nothing`.execute(db);

  await db.schema
    .createTable('ingestion_sources')
    .addColumn('source', 'text', (c) => c.primaryKey().check(sql`source ~ '^[a-z0-9_-]{1,64}$'`))
    // Null only if someone deleted the schedule by hand; start-up makes a new one.
    .addColumn('schedule_id', 'uuid', (c) => c.references('schedules.id').onDelete('set null'))
    // Where the next incremental run starts; null before the first successful one.
    .addColumn('watermark', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // A run may be deferred (it did not start its work, to run later); like success and failure
  // it is an outcome, so the finished check (finished_at set unless running) holds it too.
  await sql`alter table ingestion_runs drop constraint ingestion_runs_status_check`.execute(db);
  await sql`alter table ingestion_runs add constraint ingestion_runs_status_check check (status in ('running', 'succeeded', 'failed', 'deferred'))`.execute(db);
  // A source's last success and last failure (GET /ingestion/sources): one index probe each.
  await db.schema.createIndex('ingestion_runs_source_outcome').on('ingestion_runs').columns(['source', 'status', 'finished_at']).execute();
  // GET /ingestion/{source}/records pages newest first with undated records last, by a keyset
  // on (date, external_id): this index serves that order and the cursor's row comparison.
  await sql`create index ingestion_records_listing on ingestion_records (source, coalesce(occurred_on, '-infinity'::date) desc, external_id desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('ingestion_records_listing').execute();
  await db.schema.dropIndex('ingestion_runs_source_outcome').execute();
  // The older check has no 'deferred': such runs are kept as failures that say what they were.
  await sql`update ingestion_runs
               set status = 'failed', error = coalesce(error, '{"type":"Deferred","message":"the run was deferred"}'::jsonb)
             where status = 'deferred'`.execute(db);
  await sql`alter table ingestion_runs drop constraint ingestion_runs_status_check`.execute(db);
  await sql`alter table ingestion_runs add constraint ingestion_runs_status_check check (status in ('running', 'succeeded', 'failed'))`.execute(db);
  await db.schema.dropTable('ingestion_sources').execute();
  // Its schedules and their tasks go with it (the tenants' foreign keys cascade).
  await sql`delete from tenants where id = ${SYSTEM_TENANT}::uuid`.execute(db);
}
