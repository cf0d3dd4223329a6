import { type Kysely, sql } from 'kysely';

// Frozen: the billing period functions become inlinable, with the same results.
//
// 0016's conveyor_period_index selected from a subquery, so Postgres could not inline it: every
// call ran the function's own plan, about 65–120 µs of Postgres CPU (against about 15 µs for
// the same expression inlined), paid by every budget reservation (conveyor_period_start in its
// lookup of the current budget row) and usage report. Its body is now one expression (the month
// difference written twice instead of named in a subquery), which the planner inlines into the
// calling statement, and conveyor_period_start and conveyor_period_end, which call it, inline
// with it. down() restores 0016's body.

const MONTHS = `((extract(year from at at time zone 'UTC') - extract(year from anchor at time zone 'UTC')) * 12
      + extract(month from at at time zone 'UTC') - extract(month from anchor at time zone 'UTC'))::int`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function conveyor_period_index(anchor timestamptz, at timestamptz) returns integer
    language sql immutable parallel safe as $$
      select greatest(0, ${sql.raw(MONTHS)}
        - case when (anchor at time zone 'UTC') + make_interval(months => ${sql.raw(MONTHS)}) > (at at time zone 'UTC') then 1 else 0 end)
    $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function conveyor_period_index(anchor timestamptz, at timestamptz) returns integer
    language sql immutable parallel safe as $$
      select greatest(0, m - case when (anchor at time zone 'UTC') + make_interval(months => m) > (at at time zone 'UTC') then 1 else 0 end)
        from (select ((extract(year from at at time zone 'UTC') - extract(year from anchor at time zone 'UTC')) * 12
                    + extract(month from at at time zone 'UTC') - extract(month from anchor at time zone 'UTC'))::int as m) k
    $$`.execute(db);
}
