import { Frequency, RRule } from 'rrule';
import { RRULE_TIMES_PER_PERIOD, RRULE_WORK_PER_STEP } from './limits';
import { parseLocalDateTime, yearRangeProblem } from './local-date';
import type { ParsedRuleOptions } from './rrule-walk';

/** An RRULE parsed once, checked, with what a bounded walk needs. */
export interface PreparedRule {
  /** Reused for every walk (walkRule swaps its options for the walk's and back). */
  readonly rule: RRule;
  /** rrule.js' parsed options: every field it derives from DTSTART is explicit here. */
  readonly options: ParsedRuleOptions;
  /** DTSTART as a floating wall time. */
  readonly dtstart: Date;
  /** Periods one step may walk without finding an occurrence (RRULE_WORK_PER_STEP / periodCost). */
  readonly periodsPerStep: number;
  /** "FREQ=DAILY;INTERVAL=2", for messages. */
  readonly label: string;
  /** How far one step searches at least, in words: "600 days", "75 periods of 2 years". */
  readonly reach: string;
}

const FREQ_NAMES = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'];
const UNIT_NAMES = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'];
const list = (value: number[] | number | null | undefined): number[] => (value === null || value === undefined ? [] : Array.isArray(value) ? value : [value]);
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

const prepared = new Map<string, PreparedRule | Error>();

/**
 * The rule of an RRULE text and a DTSTART (local wall time), checked; throws an Error whose
 * message says what to change. Cached: the tick and the API resolve the same rules over and over.
 */
export function prepareRule(rrule: string, dtstart: string): PreparedRule {
  const key = `${dtstart}|${rrule}`;
  let entry = prepared.get(key);
  if (!entry) {
    try {
      entry = prepare(rrule, dtstart);
    } catch (error) {
      entry = error instanceof Error ? error : new Error(String(error));
    }
    if (prepared.size >= 10_000) prepared.clear();
    prepared.set(key, entry);
  }
  if (entry instanceof Error) throw entry;
  return entry;
}

function prepare(rrule: string, dtstartText: string): PreparedRule {
  const text = rrule.replace(/^RRULE:/i, '');
  if (/DTSTART|TZID/i.test(text)) throw new Error('give DTSTART and the time zone as their own fields, not inside the RRULE');
  const dtstart = parseLocalDateTime(dtstartText);
  if (!dtstart) throw new Error(`dtstart "${dtstartText}" is not a local date-time like 2026-03-01T09:00`);
  const rangeProblem = yearRangeProblem(dtstart);
  if (rangeProblem) throw new Error(`dtstart: ${rangeProblem}`);
  const parsed = RRule.parseString(text);
  if (parsed.freq === undefined) throw new Error('an RRULE needs FREQ');
  const rule = new RRule({ ...parsed, dtstart }, true);
  const options = rule.options;
  const problem = valueProblem(options) ?? loopProblem(options);
  if (problem) throw new Error(problem);
  const label = `FREQ=${FREQ_NAMES[options.freq]}${options.interval > 1 ? `;INTERVAL=${options.interval}` : ''}`;
  const times = timesPerPeriod(options);
  if (times > RRULE_TIMES_PER_PERIOD) {
    throw new Error(
      `${label} gives up to ${times} times in one period; at most ${RRULE_TIMES_PER_PERIOD} are supported: use a finer FREQ (or fewer BYHOUR/BYMINUTE/BYSECOND values), or a cron expression`,
    );
  }
  const periodsPerStep = Math.floor(RRULE_WORK_PER_STEP / periodCost(options));
  if (periodsPerStep < 2) throw new Error(`${label} is too costly to expand (each period holds too many BYSETPOS positions or times); simplify the rule`);
  const unit = UNIT_NAMES[options.freq]!;
  const reach = options.interval > 1 ? `${periodsPerStep} periods of ${options.interval} ${unit}` : `${periodsPerStep} ${unit}`;
  return { rule, options, dtstart, periodsPerStep, label, reach };
}

const RANGES: [keyof ParsedRuleOptions, number, number, string][] = [
  ['byhour', 0, 23, 'BYHOUR'],
  ['byminute', 0, 59, 'BYMINUTE'],
  ['bysecond', 0, 59, 'BYSECOND'],
  ['bymonth', 1, 12, 'BYMONTH'],
  ['bymonthday', 1, 31, 'BYMONTHDAY'],
  ['bynmonthday', -31, -1, 'BYMONTHDAY'],
  ['byyearday', -366, 366, 'BYYEARDAY'],
  ['byweekno', -53, 53, 'BYWEEKNO'],
  ['byeaster', -366, 366, 'BYEASTER'],
];

/** Values outside their ranges: rrule.js does not check them, and some make it loop forever. */
function valueProblem(o: ParsedRuleOptions): string | undefined {
  if (!Number.isInteger(o.interval) || o.interval < 1) return 'INTERVAL must be a whole number of at least 1';
  if (o.count !== null && (!Number.isInteger(o.count) || o.count < 1)) return 'COUNT must be a whole number of at least 1';
  for (const [field, min, max, name] of RANGES) {
    const bad = list(o[field] as number[] | number | null).find((v) => !Number.isInteger(v) || v < min || v > max || (v === 0 && min < 0));
    if (bad !== undefined) return `${name} value ${String(bad)} is not a whole number from ${min} to ${max}${min < 0 && max > 0 ? ' other than 0' : ''}`;
  }
  return undefined;
}

/**
 * Sub-daily rules whose BY-lists rrule.js steps through in inner loops that never return when
 * no value is reachable (FREQ=HOURLY;INTERVAL=2;BYHOUR=1 from an even hour, BYHOUR=24 before
 * the range check), or that jump off the INTERVAL's grid (MINUTELY with BYHOUR across a day
 * filtered out). Those loops sit inside one period, beyond any bound on periods.
 */
function loopProblem(o: ParsedRuleOptions): string | undefined {
  const name = FREQ_NAMES[o.freq];
  const hours = list(o.byhour);
  const minutes = list(o.byminute);
  if ((o.freq === Frequency.MINUTELY || o.freq === Frequency.SECONDLY) && hours.length) {
    return `BYHOUR with FREQ=${name} is not supported (the expansion can loop forever or skip times); write it as FREQ=DAILY with BYHOUR and BYMINUTE${o.freq === Frequency.SECONDLY ? ' and BYSECOND' : ''} listing the times, or as a cron expression`;
  }
  if (o.freq === Frequency.SECONDLY && minutes.length) {
    return 'BYMINUTE with FREQ=SECONDLY is not supported (the expansion can loop forever or skip times); write it as FREQ=HOURLY or FREQ=DAILY with BYMINUTE and BYSECOND listing the times, or as a cron expression';
  }
  // The rule's own unit steps by INTERVAL from DTSTART, so only one residue class is reachable.
  const own = ownUnit(o);
  if (own && own.values.length) {
    const step = gcd(o.interval, own.cycle);
    if (!own.values.some((v) => (((v - own.start) % step) + step) % step === 0)) {
      return `never fires: stepping by INTERVAL=${o.interval} from DTSTART's ${own.start}, the only ${own.field} values reached are ${own.start % step} plus multiples of ${step}, and none of those is listed`;
    }
  }
  return undefined;
}

/** A sub-daily rule's own unit: its BY-list, the unit's cycle and DTSTART's value in it. */
function ownUnit(o: ParsedRuleOptions): { values: number[]; cycle: number; start: number; field: string } | undefined {
  if (o.freq === Frequency.HOURLY) return { values: list(o.byhour), cycle: 24, start: o.dtstart.getUTCHours(), field: 'BYHOUR' };
  if (o.freq === Frequency.MINUTELY) return { values: list(o.byminute), cycle: 60, start: o.dtstart.getUTCMinutes(), field: 'BYMINUTE' };
  if (o.freq === Frequency.SECONDLY) return { values: list(o.bysecond), cycle: 60, start: o.dtstart.getUTCSeconds(), field: 'BYSECOND' };
  return undefined;
}

/** An upper bound of the occurrences one period can hold (each is a Date rrule.js builds). */
function timesPerPeriod(o: ParsedRuleOptions): number {
  const setpos = list(o.bysetpos).length;
  if (o.freq === Frequency.SECONDLY) return 1;
  if (o.freq === Frequency.MINUTELY) return setpos || list(o.bysecond).length;
  if (o.freq === Frequency.HOURLY) return setpos || list(o.byminute).length * list(o.bysecond).length;
  if (setpos) return setpos;
  return daysPerPeriod(o) * list(o.byhour).length * list(o.byminute).length * list(o.bysecond).length;
}

/** An upper bound of the days one period of a daily-or-coarser rule can hold: each filter alone bounds it. */
function daysPerPeriod(o: ParsedRuleOptions): number {
  const monthdays = list(o.bymonthday).length + list(o.bynmonthday).length;
  const weekdays = list(o.byweekday).length;
  const nthWeekdays = (o.bynweekday ?? []).length;
  const bounds: number[] = [];
  if (o.freq === Frequency.DAILY) return 1;
  if (o.freq === Frequency.WEEKLY) bounds.push(7, weekdays || 7);
  if (o.freq === Frequency.MONTHLY) bounds.push(31, monthdays || 31, weekdays ? weekdays * 5 : 31, nthWeekdays || 31);
  if (o.freq === Frequency.YEARLY) {
    const months = list(o.bymonth).length;
    bounds.push(366, months ? months * 31 : 366, monthdays ? monthdays * 12 : 366, weekdays ? weekdays * 53 : 366);
    bounds.push(list(o.byweekno).length ? list(o.byweekno).length * 7 : 366, nthWeekdays ? nthWeekdays * (months || 1) : 366, o.byeaster !== null ? 1 : 366);
  }
  if (list(o.byyearday).length) bounds.push(list(o.byyearday).length);
  return Math.min(...bounds);
}

/**
 * What one period of rrule.js' iterator costs, in units of a plain period (~4.5 µs of CPU,
 * measured: a YEARLY period scans its 366 days, ~34 µs; each BYSETPOS position copies the
 * period's days, 0.5-1.2 µs; a sub-daily period rebuilds its times, ~0.16 µs each).
 */
function periodCost(o: ParsedRuleOptions): number {
  const yearly = o.freq === Frequency.YEARLY;
  let cost = yearly ? 8 : 1;
  cost += list(o.bysetpos).length * (yearly ? 0.3 : 0.15);
  if (o.freq === Frequency.HOURLY) cost += (list(o.byminute).length * list(o.bysecond).length) / 25;
  if (o.freq === Frequency.MINUTELY) cost += list(o.bysecond).length / 25;
  return cost;
}

const UNIT_MS: Partial<Record<Frequency, number>> = {
  [Frequency.WEEKLY]: 7 * 86_400_000,
  [Frequency.DAILY]: 86_400_000,
  [Frequency.HOURLY]: 3_600_000,
  [Frequency.MINUTELY]: 60_000,
  [Frequency.SECONDLY]: 1000,
};

/**
 * Where a walk that must see every occurrence at or after `wall` (and, with periodsBack, that
 * many periods more) may start instead of DTSTART: the latest start of a period of the rule's
 * own grid (DTSTART plus whole FREQ × INTERVAL steps; for MONTHLY and YEARLY the first of a
 * month or year a whole INTERVAL of them after DTSTART's). The periods and every field rrule.js
 * derives from DTSTART are then the same as from DTSTART, so the occurrences are too. A COUNT
 * rule counts from DTSTART, so it always starts there.
 */
export function anchorFor(p: PreparedRule, wall: Date, periodsBack = 0): Date {
  const { options: o, dtstart } = p;
  if (o.count !== null || wall <= dtstart) return dtstart;
  if (o.freq === Frequency.YEARLY) {
    const k = Math.floor((wall.getUTCFullYear() - dtstart.getUTCFullYear()) / o.interval) - periodsBack;
    return k <= 0 ? dtstart : utcDate(dtstart.getUTCFullYear() + k * o.interval, 0);
  }
  if (o.freq === Frequency.MONTHLY) {
    const months = (wall.getUTCFullYear() - dtstart.getUTCFullYear()) * 12 + wall.getUTCMonth() - dtstart.getUTCMonth();
    const k = Math.floor(months / o.interval) - periodsBack;
    return k <= 0 ? dtstart : utcDate(dtstart.getUTCFullYear(), dtstart.getUTCMonth() + k * o.interval);
  }
  const period = UNIT_MS[o.freq as Frequency]! * o.interval;
  const k = Math.floor((wall.getTime() - dtstart.getTime()) / period) - periodsBack;
  return k <= 0 ? dtstart : new Date(dtstart.getTime() + k * period);
}

/** 00:00 on the first of a month (months past 11 roll into later years). */
function utcDate(year: number, month: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 1);
  return date;
}
