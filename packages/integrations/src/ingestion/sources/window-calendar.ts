import type { TimeWindow } from '../source';

// How a window [from, to) of instants becomes the dates, months and years the sources ask
// for: every UTC day, month or year the window touches, so consecutive windows may share a
// boundary period (asked twice, upserted once) but never leave one out.

const DAY_MS = 86_400_000;

/** YYYY-MM-DD of an instant, in UTC. */
function isoDay(at: Date | number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The first and last UTC days the window touches. */
export function daysOf(window: TimeWindow): { first: string; last: string } {
  return { first: isoDay(window.from), last: isoDay(lastInstant(window)) };
}

/** The UTC years the window touches. */
export function yearsOf(window: TimeWindow): { first: number; last: number } {
  return { first: window.from.getUTCFullYear(), last: lastInstant(window).getUTCFullYear() };
}

/** The UTC months the window touches, as YYYYMM, oldest first. */
export function monthsOf(window: TimeWindow): string[] {
  const last = lastInstant(window);
  const end = last.getUTCFullYear() * 12 + last.getUTCMonth();
  const months: string[] = [];
  for (let i = window.from.getUTCFullYear() * 12 + window.from.getUTCMonth(); i <= end; i++)
    months.push(`${Math.floor(i / 12)}${String((i % 12) + 1).padStart(2, '0')}`);
  return months;
}

/**
 * A watermark for dated data: `candidate` (where the next run should start to see what is
 * still to be published) kept within [window.to - maxLagMs, window.to], so that a series
 * that stopped being published holds the next runs back by at most maxLagMs.
 */
export function boundedWatermark(candidate: number, window: TimeWindow, maxLagMs: number): Date {
  return new Date(Math.min(window.to.getTime(), Math.max(candidate, window.to.getTime() - maxLagMs)));
}

export const days = (n: number) => n * DAY_MS;

function lastInstant(window: TimeWindow): Date {
  return new Date(window.to.getTime() - 1);
}
