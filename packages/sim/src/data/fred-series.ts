import { DAY_MS, isoDay, monthEnd, monthStart, parseIsoDay } from './sim-calendar';
import { stableUnit } from './stable-random';

/** How often a series is observed: business days, months, quarters or years (FRED's d, m, q, a). */
type FredFrequency = 'd' | 'm' | 'q' | 'a';

interface SimFredSeries {
  frequency: FredFrequency;
  /** The first observation's date. */
  start: string;
  /** Days after the end of an observation's period before it is published. */
  lagDays: number;
  /** The level the values swing around, and how many decimals FRED shows. */
  level: number;
  decimals: number;
  /** The share of observations FRED publishes as "." (missing: holidays of daily series). */
  missing: number;
}

/**
 * The series the simulator knows, named and dated like FRED's own: quarterly GDP published a
 * month after the quarter, monthly labour and price series a week or two after the month,
 * daily market series the next business day with holidays as ".". Any other series_id is one
 * that "does not exist".
 */
const SERIES: Readonly<Record<string, SimFredSeries>> = {
  GDP: { frequency: 'q', start: '1947-01-01', lagDays: 30, level: 20_000, decimals: 3, missing: 0 },
  GDPC1: { frequency: 'q', start: '1947-01-01', lagDays: 30, level: 21_000, decimals: 3, missing: 0 },
  GDPA: { frequency: 'a', start: '1929-01-01', lagDays: 90, level: 20_000, decimals: 3, missing: 0 },
  UNRATE: { frequency: 'm', start: '1948-01-01', lagDays: 7, level: 5.5, decimals: 1, missing: 0 },
  CPIAUCSL: { frequency: 'm', start: '1947-01-01', lagDays: 12, level: 250, decimals: 3, missing: 0 },
  PAYEMS: { frequency: 'm', start: '1939-01-01', lagDays: 7, level: 150_000, decimals: 0, missing: 0 },
  FEDFUNDS: { frequency: 'm', start: '1954-07-01', lagDays: 1, level: 3, decimals: 2, missing: 0 },
  INDPRO: { frequency: 'm', start: '1919-01-01', lagDays: 16, level: 100, decimals: 4, missing: 0 },
  DGS10: { frequency: 'd', start: '1962-01-02', lagDays: 1, level: 4, decimals: 2, missing: 0.035 },
  T10Y2Y: { frequency: 'd', start: '1976-06-01', lagDays: 1, level: 0.8, decimals: 2, missing: 0.035 },
  DEXUSEU: { frequency: 'd', start: '1999-01-04', lagDays: 3, level: 1.1, decimals: 4, missing: 0.035 },
};

export function isSimFredSeries(id: string): boolean {
  return Object.hasOwn(SERIES, id);
}

/** One observation as FRED's JSON has it (its realtime period is added by the route). */
export interface SimFredObservation {
  date: string;
  value: string;
}

/**
 * The observations of a series dated from..to (YYYY-MM-DD, inclusive) that are published by
 * `now`, oldest first. The same dates always get the same values, so asking twice gives the
 * same answer and time passing only adds observations.
 */
export function fredObservations(id: string, from: string, to: string, now: Date): SimFredObservation[] {
  const series = SERIES[id];
  if (!series) return [];
  const first = Math.max(parseIsoDay(series.start)!, parseIsoDay(from)!);
  const last = parseIsoDay(to)!;
  const observations: SimFredObservation[] = [];
  for (let date = alignUp(first, series.frequency); date <= last; date = nextDate(date, series.frequency)) {
    if (periodEnd(date, series.frequency) + series.lagDays * DAY_MS > now.getTime()) break;
    observations.push({ date: isoDay(date), value: valueOf(id, series, date) });
  }
  return observations;
}

function valueOf(id: string, series: SimFredSeries, date: number): string {
  const day = isoDay(date);
  if (stableUnit('fred-missing', id, day) < series.missing) return '.';
  const years = date / (365.25 * DAY_MS);
  const cycle = Math.sin((2 * Math.PI * years) / 9.3 + 2 * Math.PI * stableUnit('fred-phase', id));
  const noise = stableUnit('fred-value', id, day) - 0.5;
  return (series.level * (1 + 0.35 * cycle + 0.02 * noise)).toFixed(series.decimals);
}

/** The first date of the frequency's calendar on or after `ms`. */
function alignUp(ms: number, frequency: FredFrequency): number {
  const d = new Date(ms);
  const [year, month, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
  if (frequency === 'd') return isWeekend(ms) ? nextDate(ms, 'd') : ms;
  if (frequency === 'm') return day === 1 ? ms : monthStart(year, month + 1);
  if (frequency === 'q') {
    const quarterMonth = Math.floor((month - 1) / 3) * 3 + 1;
    return month === quarterMonth && day === 1 ? ms : monthStart(year, quarterMonth + 3);
  }
  return month === 1 && day === 1 ? ms : monthStart(year + 1, 1);
}

function nextDate(ms: number, frequency: FredFrequency): number {
  const d = new Date(ms);
  if (frequency === 'd') {
    let next = ms + DAY_MS;
    while (isWeekend(next)) next += DAY_MS;
    return next;
  }
  const step = frequency === 'm' ? 1 : frequency === 'q' ? 3 : 12;
  return monthStart(d.getUTCFullYear(), d.getUTCMonth() + 1 + step);
}

/** The last day the observation dated `ms` covers: its day, month, quarter or year. */
function periodEnd(ms: number, frequency: FredFrequency): number {
  const d = new Date(ms);
  const [year, month] = [d.getUTCFullYear(), d.getUTCMonth() + 1];
  if (frequency === 'd') return ms;
  if (frequency === 'm') return monthEnd(year, month);
  if (frequency === 'q') return monthEnd(year, month + 2);
  return monthEnd(year, 12);
}

function isWeekend(ms: number): boolean {
  const weekday = new Date(ms).getUTCDay();
  return weekday === 0 || weekday === 6;
}
