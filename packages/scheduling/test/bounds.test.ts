import { RRule } from 'rrule';
import { RecurrenceLimitError, checkCron, checkRrule, nextOccurrence, nextOccurrences, parseLocalDateTime, smallestGapSeconds, yearRangeProblem } from '../src';
import { anchorFor, prepareRule } from '../src/rrule-rule';
import { walkRule } from '../src/rrule-walk';

const at = (s: string) => new Date(s);
const rrule = (text: string, dtstart: string, timezone = 'UTC') => ({ kind: 'rrule' as const, rrule: text, dtstart, timezone });
const cron = (expression: string) => ({ kind: 'cron' as const, cron: expression, timezone: 'UTC' });
const now = at('2026-05-01T10:00:00Z');

describe('a rule that never fires, or too rarely, is refused for the cap, not walked to the year 9999', () => {
  it.each(['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'])('FREQ=%s;BYMONTH=2;BYMONTHDAY=30', (freq) => {
    const feb30 = rrule(`FREQ=${freq};BYMONTH=2;BYMONTHDAY=30`, '2026-01-01T09:00');
    let error: unknown;
    try {
      nextOccurrence(feb30, now);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RecurrenceLimitError);
    expect((error as Error).message).toMatch(new RegExp(`^FREQ=${freq} has no occurrence within \\d+ \\w+ after 2026-05-01T10:00 .*fires too rarely or never`));
  });

  it('the cap is a number of periods, the same from any start', () => {
    const p = prepareRule('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', '2026-01-01T09:00');
    const report = walkRule(p.rule, p.options, p.dtstart, { periodsPerStep: p.periodsPerStep, skipped: 100 }, () => 'more');
    expect(report).toEqual({ outcome: 'periods', periods: p.periodsPerStep });
    expect(p.periodsPerStep).toBe(600);
  });

  it('a sparse rule within the cap fires; sparser ones are refused', () => {
    expect(nextOccurrences(rrule('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', '2024-02-29T09:00'), now, 2)).toEqual([
      at('2028-02-29T09:00:00Z'),
      at('2032-02-29T09:00:00Z'),
    ]);
    expect(nextOccurrence(rrule('FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13', '2020-01-01T09:00'), now)).toEqual(at('2026-11-13T09:00:00Z'));
    expect(nextOccurrence(cron('0 0 29 2 *'), now)).toEqual(at('2028-02-29T00:00:00Z'));
    // The fifth Monday of February comes every 28 years: beyond the cron horizon.
    expect(() => nextOccurrence(cron('0 0 * 2 1#5'), now)).toThrow(/no time within 4 years after 2026-05-01T10:00.*too rarely or never/);
    // A leap day by FREQ=DAILY can be 1461 days away: more than a DAILY step searches.
    const leapDaily = rrule('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29', '2026-01-01T09:00');
    expect(nextOccurrence(leapDaily, at('2027-06-01T00:00:00Z'))).toEqual(at('2028-02-29T09:00:00Z'));
    expect(() => nextOccurrence(leapDaily, at('2028-03-01T00:00:00Z'))).toThrow(/^FREQ=DAILY has no occurrence within 600 days after 2028-03-01T00:00/);
  });
});

describe('an RRULE is walked from a recent anchor, not from DTSTART', () => {
  it('MINUTELY;INTERVAL=5 from 200 days back walks one period, not 57,600', () => {
    const p = prepareRule('FREQ=MINUTELY;INTERVAL=5', '2025-10-13T10:00');
    const until = (wall: Date) => (wall <= now ? ('skip' as const) : ('stop' as const));
    const anchored = walkRule(p.rule, p.options, anchorFor(p, now), { periodsPerStep: p.periodsPerStep, skipped: 10 }, until);
    expect(anchored).toEqual({ outcome: 'stopped', periods: 1 });
    // From DTSTART the same search passes over every occurrence since, and hits the bound.
    const fromStart = walkRule(p.rule, p.options, p.dtstart, { periodsPerStep: p.periodsPerStep, skipped: 10_000 }, until);
    expect(fromStart.outcome).toBe('skipped');
    expect(nextOccurrences(rrule('FREQ=MINUTELY;INTERVAL=5', '2025-10-13T10:00'), now, 2)).toEqual([at('2026-05-01T10:05:00Z'), at('2026-05-01T10:10:00Z')]);
  });

  // Every rule here is also expanded by rrule.js from its DTSTART (slow but exact): the
  // anchored walk must give the same times, at several points of its grid.
  it.each([
    ['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU', '2024-03-07T08:30'],
    ['FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1', '2023-01-31T17:00'],
    ['FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31', '2023-01-31T06:00'],
    ['FREQ=MONTHLY;INTERVAL=2', '2024-01-31T06:00'],
    ['FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYMONTHDAY=29', '2000-02-29T12:00'],
    ['FREQ=YEARLY;BYWEEKNO=1,52;BYDAY=MO', '2020-01-01T00:00'],
    ['FREQ=YEARLY;INTERVAL=2', '2021-11-30T23:59:59'],
    ['FREQ=DAILY;INTERVAL=3;BYHOUR=9,17;BYMINUTE=0', '2025-02-10T00:00'],
    ['FREQ=HOURLY;INTERVAL=5;BYHOUR=3,8,13', '2025-12-01T03:00'],
    ['FREQ=HOURLY;INTERVAL=7;BYDAY=SA,SU', '2025-11-01T01:00'],
    // Sub-daily grids from odd starts (their INTERVALs large enough for rrule.js to be quick).
    ['FREQ=MINUTELY;INTERVAL=67;BYMONTHDAY=1,15', '2026-01-01T00:03'],
    ['FREQ=MINUTELY;INTERVAL=70;BYMINUTE=5,25,45', '2026-04-01T00:05'],
    ['FREQ=SECONDLY;INTERVAL=1301;BYSECOND=0,26', '2026-04-30T00:00'],
    ['FREQ=DAILY;UNTIL=20260601T000000Z;BYHOUR=6', '2026-01-01T06:00'],
  ])('%s from %s', (text, dtstart) => {
    const exact = new RRule({ ...RRule.parseString(text), dtstart: parseLocalDateTime(dtstart)! });
    for (const from of ['2026-04-30T23:59:59Z', '2026-05-01T10:00:00Z', '2026-05-31T23:00:00Z', '2026-08-15T12:34:56Z']) {
      const expected: Date[] = [];
      let cursor = at(from);
      for (let i = 0; i < 5; i += 1) {
        const next = exact.after(cursor, false);
        if (!next) break;
        expected.push(next);
        cursor = next;
      }
      expect(nextOccurrences(rrule(text, dtstart), at(from), 5)).toEqual(expected);
    }
  });

  it('a COUNT rule counts from DTSTART; one too long to expand each time is refused at creation', () => {
    expect(nextOccurrences(rrule('FREQ=WEEKLY;COUNT=3', '2026-01-05T09:00'), at('2026-01-06T00:00:00Z'), 10)).toEqual([
      at('2026-01-12T09:00:00Z'),
      at('2026-01-19T09:00:00Z'),
    ]);
    expect(() => checkRrule('FREQ=WEEKLY;COUNT=3', '2026-01-05T09:00')).not.toThrow();
    expect(() => checkRrule('FREQ=SECONDLY;COUNT=100000', '2026-01-05T09:00')).toThrow(/COUNT=100000 is expanded from DTSTART.*use UNTIL/);
  });
});

describe('rules rrule.js cannot expand safely are refused, never run', () => {
  // Each of these loops forever inside one period of rrule.js 2.8.1 (checked by running them):
  // no cap on periods could stop it.
  it.each([
    ['FREQ=HOURLY;INTERVAL=2;BYHOUR=1', '2026-01-01T00:00', /never fires: stepping by INTERVAL=2 from DTSTART's 0.*BYHOUR/],
    ['FREQ=HOURLY;BYHOUR=24', '2026-01-01T00:00', /BYHOUR value 24 is not a whole number from 0 to 23/],
    ['FREQ=MINUTELY;BYHOUR=1;BYMONTHDAY=15', '2026-01-01T04:00', /BYHOUR with FREQ=MINUTELY is not supported.*FREQ=DAILY/],
    ['FREQ=SECONDLY;INTERVAL=2;BYSECOND=1', '2026-01-01T04:00', /never fires/],
    ['FREQ=SECONDLY;BYMINUTE=5', '2026-01-01T04:00', /BYMINUTE with FREQ=SECONDLY is not supported/],
    ['FREQ=DAILY;INTERVAL=0', '2026-01-01T04:00', /INTERVAL must be/],
    ['FREQ=DAILY;BYMINUTE=x', '2026-01-01T04:00', /BYMINUTE value x/],
  ])('%s', (text, dtstart, reason) => {
    expect(() => checkRrule(text, dtstart)).toThrow(reason);
    expect(() => nextOccurrence(rrule(text, dtstart), now)).toThrow(reason);
  });

  it('refuses more times in one period than it expands', () => {
    const minutes = Array.from({ length: 60 }, (_, i) => i).join(',');
    expect(() => checkRrule(`FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16,17,18;BYMINUTE=${minutes};BYSECOND=0,30`, '2026-01-01T00:00')).not.toThrow(); // 1200
    expect(() =>
      checkRrule(`FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=${minutes};BYSECOND=0,30`, '2026-01-01T00:00'),
    ).toThrow(/gives up to 2880 times in one period; at most 2000/);
  });
});

describe('dates outside 1970-2999', () => {
  it('reads years 0-99 as themselves, and names the range', () => {
    expect(parseLocalDateTime('0050-06-01T09:00')!.getUTCFullYear()).toBe(50);
    expect(yearRangeProblem(parseLocalDateTime('0050-06-01T09:00')!)).toBe('year 50 is outside 1970-2999; schedules name times in those years only');
    expect(yearRangeProblem(at('3000-01-01T00:00:00Z'))).toMatch(/year 3000 is outside/);
    expect(yearRangeProblem(at('2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(() => checkRrule('FREQ=DAILY', '0050-06-01T09:00')).toThrow(/dtstart: year 50 is outside 1970-2999/);
  });
});

describe('the smallest gap between fires, over the whole rule', () => {
  it.each([
    [cron('*/5 * * * *'), 300],
    [cron('* * * * * *'), 1],
    [cron('0 9,17 * * 1-5'), 8 * 3600],
    [cron('0 0,23 * * *'), 3600], // 23:00, then 00:00 the next day
    [cron('59 58 23 * * *'), 86_400],
    [rrule('FREQ=DAILY;INTERVAL=2', '2026-01-01T09:00'), 2 * 86_400],
    [rrule('FREQ=WEEKLY;BYDAY=MO;BYHOUR=9', '2026-01-01T09:00'), 86_400],
    [rrule('FREQ=HOURLY;BYMINUTE=0,59', '2026-01-01T09:00'), 60],
    [rrule('FREQ=MINUTELY;INTERVAL=5', '2026-01-01T09:00'), 300],
    [rrule('FREQ=SECONDLY;INTERVAL=10', '2026-01-01T09:00'), 10],
    // Irregular: 59 fires one second apart once a day, whatever BYSETPOS keeps.
    [rrule(`FREQ=DAILY;BYHOUR=12;BYMINUTE=0;BYSECOND=${Array.from({ length: 59 }, (_, i) => i).join(',')}`, '2026-01-01T09:00'), 1],
    [rrule('FREQ=YEARLY;BYMONTHDAY=1;BYHOUR=0;BYMINUTE=0;BYSECOND=0,1;BYSETPOS=1,3,5,7,9,11,13,-2,-1', '2027-01-01T00:00'), 1],
    [{ kind: 'one_shot' as const, runAt: now }, Infinity],
  ])('%j: %d s', (recurrence, gap) => {
    expect(smallestGapSeconds(recurrence)).toBe(gap);
  });

  it('is never above the gaps the expansion gives', () => {
    for (const recurrence of [
      cron('*/7 3-5 * * *'),
      cron('10,50 * * * * *'),
      rrule('FREQ=MONTHLY;BYDAY=MO,TU;BYHOUR=9,23;BYMINUTE=0,45', '2026-01-01T09:00', 'Europe/Berlin'),
      rrule('FREQ=HOURLY;INTERVAL=3;BYMINUTE=10,20', '2026-01-01T09:00', 'America/New_York'),
      rrule('FREQ=YEARLY;BYMONTHDAY=1;BYHOUR=0;BYMINUTE=0;BYSECOND=0,1;BYSETPOS=1,3,5,7,9,11,13,-2,-1', '2027-01-01T00:00'),
    ]) {
      const times = nextOccurrences(recurrence, at('2026-01-01T00:00:00Z'), 300);
      const actual = Math.min(...times.slice(1).map((t, i) => (t.getTime() - times[i]!.getTime()) / 1000));
      expect(smallestGapSeconds(recurrence)).toBeLessThanOrEqual(actual);
    }
  });

  it('cron expressions are checked by the parser', () => {
    expect(() => checkCron('0 0 30 2 *')).toThrow();
  });
});
