import type { Database } from '@conveyor/db';
import { type Kysely, sql } from 'kysely';

/** One billing period of a tenant: [start, end), both from Postgres' conveyor_period_* functions. */
export interface BillingPeriod {
  start: Date;
  /** The start as Postgres writes it: exact to the microsecond (a Date keeps milliseconds), for queries. */
  startText: string;
  end: Date;
}

/** Which period: the current one, the one before, or the one starting on a date (YYYY-MM-DD, UTC). */
export type PeriodChoice = 'current' | 'previous' | string;

/** The period asked for is not one of the tenant's: the message says which are. */
export class UnknownPeriodError extends Error {
  override name = 'UnknownPeriodError';
  constructor(
    message: string,
    /** The tenant's period starts as dates, newest first (at most 24). */
    readonly periodStarts: string[],
  ) {
    super(message);
  }
}

const SHOWN_STARTS = 24;

/**
 * The tenant's period that `choice` names. Periods are the cost tracker's own rule
 * (conveyor_period_start: anchor + whole months, clamped at month ends), counted up to the
 * current one by Postgres' clock; a date names the period that starts on it.
 */
export async function resolvePeriod(db: Kysely<Database>, tenantId: string, choice: PeriodChoice): Promise<BillingPeriod> {
  const { rows } = await sql<{ k: number; start: Date; start_text: string; end: Date; current: number }>`
    with t as (select billing_anchor as anchor, conveyor_period_index(billing_anchor, now()) as current from tenants where id = ${tenantId}),
         p as (select k, ((t.anchor at time zone 'UTC') + make_interval(months => k)) at time zone 'UTC' as start,
                      ((t.anchor at time zone 'UTC') + make_interval(months => k + 1)) at time zone 'UTC' as "end", t.current
                 from t, generate_series(t.current, 0, -1) k)
    select k, start, start::text as start_text, "end", current from p
     where ${choice === 'current' ? sql`k = current` : choice === 'previous' ? sql`k = current - 1` : sql`true`}
     order by k desc`.execute(db);
  if (rows.length === 0 && choice !== 'previous') throw new Error(`tenant ${tenantId} does not exist`);
  const toPeriod = (row: (typeof rows)[number]): BillingPeriod => ({ start: row.start, startText: row.start_text, end: row.end });
  if (choice === 'current' || choice === 'previous') {
    if (rows[0]) return toPeriod(rows[0]);
    const first = await resolvePeriod(db, tenantId, 'current');
    throw new UnknownPeriodError(`there is no previous period: the tenant's first period started ${dateOf(first.start)} and is the current one`, [
      dateOf(first.start),
    ]);
  }
  const match = rows.find((row) => dateOf(row.start) === choice);
  if (match) return toPeriod(match);
  const starts = rows.slice(0, SHOWN_STARTS).map((row) => dateOf(row.start));
  const more = rows.length > SHOWN_STARTS ? ` and ${rows.length - SHOWN_STARTS} earlier` : '';
  throw new UnknownPeriodError(`${choice} is not the start of one of your billing periods; they start on ${starts.join(', ')}${more} (newest first)`, starts);
}

/** The UTC date of an instant, YYYY-MM-DD. */
function dateOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}
