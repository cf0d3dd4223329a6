import { type Kysely, sql } from 'kysely';

// Frozen: X accounts, the posts published through them, and each post's metrics snapshots
// (issue 16). The status and tier lists are written out here, not imported, so this
// migration means the same thing for as long as it exists.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('x_accounts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    // X's own rule for a handle: 1 to 15 letters, digits or underscores, without the '@'.
    .addColumn('handle', 'text', (c) => c.notNull().check(sql`handle ~ '^[A-Za-z0-9_]{1,15}$'`))
    .addColumn('api_tier', 'text', (c) => c.notNull().check(sql`api_tier in ('free', 'basic', 'pro', 'enterprise')`))
    // Where the OAuth 2.0 user token is kept (a secret manager's name for it), never the token.
    .addColumn('token_secret_ref', 'text', (c) => c.notNull().check(sql`length(token_secret_ref) between 1 and 500`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // The target of posts' (tenant_id, account_id): a post's account is always its tenant's.
    .addUniqueConstraint('x_accounts_tenant_id_id', ['tenant_id', 'id'])
    .execute();
  // X treats handles case-insensitively, so one tenant cannot hold @Acme and @acme.
  await db.schema
    .createIndex('x_accounts_tenant_handle')
    .on('x_accounts')
    .unique()
    .expression(sql`tenant_id, lower(handle)`)
    .execute();

  await db.schema
    .createTable('posts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('account_id', 'uuid', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('media_refs', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('media_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('draft')
        .check(sql`status in ('draft', 'scheduled', 'queued', 'publishing', 'published', 'failed', 'cancelled')`),
    )
    .addColumn('scheduled_at', 'timestamptz')
    .addColumn('x_post_id', 'text')
    .addColumn('published_at', 'timestamptz')
    .addColumn('last_error', 'jsonb')
    .addColumn('attempts', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`attempts >= 0`),
    )
    .addColumn('publish_request_id', 'uuid')
    .addColumn('publish_started_at', 'timestamptz')
    .addColumn('correlation_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('posts_account', ['tenant_id', 'account_id'], 'x_accounts', ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
    .addUniqueConstraint('posts_tenant_id_id', ['tenant_id', 'id'])
    .addCheckConstraint('posts_scheduled_has_time', sql`status <> 'scheduled' or scheduled_at is not null`)
    .addCheckConstraint('posts_published_has_x_id', sql`status <> 'published' or (x_post_id is not null and published_at is not null)`)
    .execute();
  // GET /posts, newest first by the cursor (created_at, id): all of a tenant's posts, one
  // status, or one account (which also serves the account foreign key).
  await db.schema.createIndex('posts_tenant_created').on('posts').columns(['tenant_id', 'created_at desc', 'id desc']).execute();
  await db.schema.createIndex('posts_tenant_status_created').on('posts').columns(['tenant_id', 'status', 'created_at desc', 'id desc']).execute();
  await db.schema.createIndex('posts_tenant_account_created').on('posts').columns(['tenant_id', 'account_id', 'created_at desc', 'id desc']).execute();
  // Scheduled posts by when they are due.
  await db.schema.createIndex('posts_scheduled_due').on('posts').column('scheduled_at').where(sql.ref('status'), '=', 'scheduled').execute();

  await db.schema
    .createTable('metrics_snapshots')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('post_id', 'uuid', (c) => c.notNull())
    // How long after publication: a number and m, h or d ('1h', '24h', '7d').
    .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage ~ '^[1-9][0-9]{0,4}[mhd]$'`))
    .addColumn('impressions', 'integer', (c) => c.check(sql`impressions >= 0`))
    .addColumn('likes', 'integer', (c) => c.check(sql`likes >= 0`))
    .addColumn('reposts', 'integer', (c) => c.check(sql`reposts >= 0`))
    .addColumn('replies', 'integer', (c) => c.check(sql`replies >= 0`))
    .addColumn('quotes', 'integer', (c) => c.check(sql`quotes >= 0`))
    .addColumn('bookmarks', 'integer', (c) => c.check(sql`bookmarks >= 0`))
    .addColumn('captured_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // One snapshot per post and stage: a repeated capture is a no-op.
    .addPrimaryKeyConstraint('metrics_snapshots_post_stage', ['post_id', 'stage'])
    .addForeignKeyConstraint('metrics_snapshots_post', ['tenant_id', 'post_id'], 'posts', ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('metrics_snapshots').execute();
  await db.schema.dropTable('posts').execute();
  await db.schema.dropTable('x_accounts').execute();
}
