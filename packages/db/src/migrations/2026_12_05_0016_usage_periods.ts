import { type Kysely, sql } from 'kysely';

// Frozen: billing periods that tile time, and each usage row filed under its budget's period.
//
// 0003's conveyor_period_start counted whole months with age(), which for an anchor on the
// 29th-31st maps the first hours after a short month's clamped start (Feb 28 10:00 for a Jan 31
// 10:00 anchor) to the period before, so a period did not contain its own start and "start + 1
// month" was not where it ended. Now the start is anchor + k months for the largest k with
// anchor + k months <= at, reckoned in UTC (so the function is truly immutable), and the end is
// anchor + (k + 1) months: consecutive periods meet with no gap and no overlap. For anchors on
// the 1st-28th nothing changes. The existing period rows keep their starts, which are all
// anchor + k months, hence still period starts.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function conveyor_period_index(anchor timestamptz, at timestamptz) returns integer
    language sql immutable parallel safe as $$
      select greatest(0, m - case when (anchor at time zone 'UTC') + make_interval(months => m) > (at at time zone 'UTC') then 1 else 0 end)
        from (select ((extract(year from at at time zone 'UTC') - extract(year from anchor at time zone 'UTC')) * 12
                    + extract(month from at at time zone 'UTC') - extract(month from anchor at time zone 'UTC'))::int as m) k
    $$`.execute(db);
  await sql`
    create or replace function conveyor_period_start(anchor timestamptz, at timestamptz) returns timestamptz
    language sql immutable parallel safe as $$
      select ((anchor at time zone 'UTC') + make_interval(months => conveyor_period_index(anchor, at))) at time zone 'UTC'
    $$`.execute(db);
  await sql`
    create function conveyor_period_end(anchor timestamptz, at timestamptz) returns timestamptz
    language sql immutable parallel safe as $$
      select ((anchor at time zone 'UTC') + make_interval(months => conveyor_period_index(anchor, at) + 1)) at time zone 'UTC'
    $$`.execute(db);

  // The period whose budget a call was charged to: the reservation's, which a settle just
  // after a rollover keeps, so a period's usage rows add up to its spent_usd.
  await db.schema.alterTable('usage_tracking').addColumn('period_start', 'timestamptz').execute();
  await sql`
    update usage_tracking u set period_start = conveyor_period_start(t.billing_anchor, u.created_at)
      from tenants t where t.id = u.tenant_id`.execute(db);
  await sql`alter table usage_tracking alter column period_start set not null`.execute(db);
  await db.schema.createIndex('usage_tracking_tenant_period').on('usage_tracking').columns(['tenant_id', 'period_start']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('usage_tracking_tenant_period').execute();
  await db.schema.alterTable('usage_tracking').dropColumn('period_start').execute();
  await sql`drop function conveyor_period_end(timestamptz, timestamptz)`.execute(db);
  await sql`
    create or replace function conveyor_period_start(anchor timestamptz, at timestamptz) returns timestamptz
    language sql immutable as $$
      select anchor + make_interval(months => greatest(0,
        (extract(year from age(at, anchor)) * 12 + extract(month from age(at, anchor)))::int))
    $$`.execute(db);
  await sql`drop function conveyor_period_index(timestamptz, timestamptz)`.execute(db);
}
