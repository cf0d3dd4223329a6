// The bounds that keep schedule math small whatever a user writes. Every expansion (the
// next fire times, the missed ones, a preview) runs synchronously on an event loop that
// serves every tenant (the API) or holds row locks (the scheduler's claim), so each step is
// capped; a rule that needs more than the cap is refused when it is saved, and a stored one
// that does is stopped by the scheduler. The figures behind the caps are in
// docs/decisions.md ("schedule math is bounded").

/** Dates a schedule may name: IANA zone data is exact from 1970; later than 2999 is a typo. */
export const YEAR_MIN = 1970;
export const YEAR_MAX = 2999;

/**
 * What one RRULE step (the search for the next occurrence) may spend, in units of one plain
 * period of rrule.js' iterator (~3-5 µs of CPU: it allocates a year-long day array per
 * period). A period that does more costs more units (see periodCost in rrule-rule.ts).
 */
export const RRULE_WORK_PER_STEP = 600;

/** Occurrences one period of an RRULE may hold: each is a Date rrule.js builds and we compare. */
export const RRULE_TIMES_PER_PERIOD = 2000;

/**
 * Occurrences a walk may pass over before the time it starts from (those between the period's
 * anchor and that time, and a COUNT rule's from its DTSTART): two periods' worth and more.
 */
export const RRULE_SKIPPED_PER_STEP = 5000;

/**
 * How far one cron step may search, in years. cron-parser steps month by month and, in a
 * matching month, day by day (~25 µs a step through luxon): ~1 ms a year for the sparsest
 * expressions (February only), so a step costs a few ms at most.
 */
export const CRON_HORIZON_YEARS = 4;

/** A rule whose next occurrence cannot be found within the caps above. */
export class RecurrenceLimitError extends Error {
  override name = 'RecurrenceLimitError';
}
