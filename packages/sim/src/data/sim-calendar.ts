// UTC calendar arithmetic for the simulated sources, whose data is dated (a day, a month, a
// year) rather than timed.

export const DAY_MS = 86_400_000;

/** YYYY-MM-DD of an instant, in UTC. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Midnight UTC of a YYYY-MM-DD that is a real date; undefined for anything else. */
export function parseIsoDay(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) || isoDay(ms) !== text ? undefined : ms;
}

/** Midnight UTC of the first day of a month (month 1-12; overflow rolls into the next years). */
export function monthStart(year: number, month: number): number {
  return Date.UTC(year, month - 1, 1);
}

/** The last midnight of a month: the first day of the next month less a day. */
export function monthEnd(year: number, month: number): number {
  return monthStart(year, month + 1) - DAY_MS;
}
