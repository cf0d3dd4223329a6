import { type Kysely, sql } from 'kysely';

// Frozen: budget alert webhooks. One configuration per tenant (where to post, at which
// percentages of the cap, the HMAC key that signs); one delivery per (tenant, period,
// threshold), inserted by the settle that crossed it (the unique key makes concurrent settles
// record it once) and sent by the scheduler, which retries it with backoff.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('budget_alerts')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('thresholds', sql`integer[]`, (c) => c.notNull())
    // The HMAC-SHA256 key: kept to sign, shown once at PUT, never logged.
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('budget_alert_deliveries')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('period_start', 'timestamptz', (c) => c.notNull())
    .addColumn('threshold', 'integer', (c) => c.notNull())
    .addColumn('cap_usd', 'numeric(14, 8)', (c) => c.notNull())
    .addColumn('spent_usd', 'numeric(14, 8)', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'delivered', 'failed')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('budget_alert_deliveries_once', ['tenant_id', 'period_start', 'threshold'])
    .execute();
  await db.schema
    .createIndex('budget_alert_deliveries_due')
    .on('budget_alert_deliveries')
    .column('next_attempt_at')
    .where(sql.ref('status'), '=', 'pending')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('budget_alert_deliveries').execute();
  await db.schema.dropTable('budget_alerts').execute();
}
