import { type Kysely, sql } from 'kysely';

// Frozen: data ingestion (issue 17). Records of every source, keyed by (source, external_id)
// with a content hash so an unchanged record is never rewritten; and the audit trail of runs.

const SOURCE = sql`source ~ '^[a-z0-9_-]{1,64}$'`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ingestion_records')
    .addColumn('source', 'text', (c) => c.notNull().check(SOURCE))
    .addColumn('external_id', 'text', (c) => c.notNull().check(sql`length(external_id) between 1 and 500`))
    // sha256 of the raw record as jsonb prints it (keys in a fixed order): equal content, equal hash.
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('raw', 'jsonb', (c) => c.notNull())
    // A few typed columns per source, where users query: the record's date, country, series, value, title.
    .addColumn('occurred_on', 'date')
    .addColumn('country', 'text')
    .addColumn('series_id', 'text')
    .addColumn('value', 'double precision')
    .addColumn('title', 'text')
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('ingestion_records_pkey', ['source', 'external_id'])
    .execute();
  await db.schema.createIndex('ingestion_records_source_occurred').on('ingestion_records').columns(['source', 'occurred_on desc']).execute();

  await db.schema
    .createTable('ingestion_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('source', 'text', (c) => c.notNull().check(SOURCE))
    .addColumn('task_id', 'uuid')
    .addColumn('window_from', 'timestamptz')
    .addColumn('window_to', 'timestamptz')
    .addColumn('cursor', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('running')
        .check(sql`status in ('running', 'succeeded', 'failed')`),
    )
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('fetched', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('inserted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rate_limit_waits', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'jsonb')
    .addCheckConstraint('ingestion_runs_finished', sql`(status = 'running') = (finished_at is null)`)
    .execute();
  // GET /ingestion/runs?source=&status=, newest first; and retention by age.
  await db.schema.createIndex('ingestion_runs_source_started').on('ingestion_runs').columns(['source', 'started_at desc', 'id desc']).execute();
  await db.schema.createIndex('ingestion_runs_started').on('ingestion_runs').columns(['started_at desc', 'id desc']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ingestion_runs').execute();
  await db.schema.dropTable('ingestion_records').execute();
}
