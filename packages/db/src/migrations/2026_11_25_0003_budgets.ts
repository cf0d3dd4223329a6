import { type Kysely, sql } from 'kysely';

// Frozen: billing periods, budget reservations, usage tracking, conversations.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tenants')
    .addColumn('billing_anchor', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Tenants that existed before billing: their periods count from when they joined.
  await sql`update tenants set billing_anchor = created_at`.execute(db);

  // The start of the monthly billing period that contains `at`, for a tenant anchored at
  // `anchor`: the anchor plus whole months (a 31st anchor falls on the last day of shorter months).
  await sql`
    create function conveyor_period_start(anchor timestamptz, at timestamptz) returns timestamptz
    language sql immutable as $$
      select anchor + make_interval(months => greatest(0,
        (extract(year from age(at, anchor)) * 12 + extract(month from age(at, anchor)))::int))
    $$`.execute(db);

  await db.schema
    .createTable('tenant_budgets')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('period_start', 'timestamptz', (c) => c.notNull())
    .addColumn('cap_usd', 'numeric(14, 8)', (c) => c.notNull())
    .addColumn('spent_usd', 'numeric(14, 8)', (c) => c.notNull().defaultTo(0))
    .addColumn('reserved_usd', 'numeric(14, 8)', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`reserved_usd >= 0`),
    )
    .addColumn('alerted_pct', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('tenant_budgets_pk', ['tenant_id', 'period_start'])
    .execute();

  await db.schema
    .createTable('budget_reservations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('period_start', 'timestamptz', (c) => c.notNull())
    .addColumn('task_id', 'uuid')
    .addColumn('amount_usd', 'numeric(14, 8)', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('held')
        .check(sql`status in ('held', 'settled', 'released', 'expired')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('budget_reservations_held').on('budget_reservations').column('expires_at').where(sql.ref('status'), '=', 'held').execute();

  await db.schema
    .createTable('usage_tracking')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('task_id', 'uuid')
    .addColumn('action_type', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text')
    .addColumn('model_used', 'text', (c) => c.notNull())
    .addColumn('prompt_tokens', 'integer', (c) => c.notNull())
    .addColumn('completion_tokens', 'integer', (c) => c.notNull())
    .addColumn('cost_usd', 'numeric(14, 8)', (c) => c.notNull())
    .addColumn('generation_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('usage_tracking_tenant_time').on('usage_tracking').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('campaign_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('chat_messages')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('user', 'assistant')`))
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('task_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('chat_messages_conversation').on('chat_messages').columns(['conversation_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['chat_messages', 'conversations', 'usage_tracking', 'budget_reservations', 'tenant_budgets']) await db.schema.dropTable(table).execute();
  await sql`drop function conveyor_period_start(timestamptz, timestamptz)`.execute(db);
  await db.schema.alterTable('tenants').dropColumn('billing_anchor').execute();
}
