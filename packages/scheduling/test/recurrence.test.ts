import { FIRE_ALL_CAP, checkCron, checkRrule, fromWallTime, isValidTimeZone, nextOccurrence, nextOccurrences, parseLocalDateTime, planFires } from '../src';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const at = (s: string) => new Date(s);

// Europe/Berlin: clocks go forward 2026-03-29 02:00 → 03:00, back 2026-10-25 03:00 → 02:00.
const BERLIN = 'Europe/Berlin';

describe('DST rules, for a daily cron and an RRULE', () => {
  const cron = { kind: 'cron' as const, cron: '30 2 * * *', timezone: BERLIN };
  const rrule = { kind: 'rrule' as const, rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0', dtstart: '2026-01-01T02:30', timezone: BERLIN };

  it.each([
    ['cron', cron],
    ['rrule', rrule],
  ] as const)('%s: 02:30 that does not exist (spring forward) runs at 03:30, once', (_label, recurrence) => {
    expect(iso(nextOccurrences(recurrence, at('2026-03-27T12:00:00Z'), 3))).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:30:00.000Z', // 02:30 does not exist: 03:30 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it.each([
    ['cron', cron],
    ['rrule', rrule],
  ] as const)('%s: 02:30 that happens twice (fall back) runs at the first, once', (_label, recurrence) => {
    expect(iso(nextOccurrences(recurrence, at('2026-10-23T12:00:00Z'), 3))).toEqual([
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST), not the second (CET)
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    ]);
    // Asked from inside the repeated hour, it does not go back to the first 02:30.
    expect(nextOccurrence(recurrence, at('2026-10-25T01:10:00Z'))!.toISOString()).toBe('2026-10-26T01:30:00.000Z');
  });

  it('keeps local 09:00 across both changes, in New York too', () => {
    const ny = { kind: 'cron' as const, cron: '0 9 * * *', timezone: 'America/New_York' };
    expect(iso(nextOccurrences(ny, at('2026-03-07T20:00:00Z'), 2))).toEqual(['2026-03-08T13:00:00.000Z', '2026-03-09T13:00:00.000Z']);
    expect(iso(nextOccurrences(ny, at('2026-10-31T20:00:00Z'), 2))).toEqual(['2026-11-01T14:00:00.000Z', '2026-11-02T14:00:00.000Z']);
  });
});

describe('recurrences', () => {
  it('one-shot fires once, then never', () => {
    const once = { kind: 'one_shot' as const, runAt: at('2026-12-01T10:00:00Z') };
    expect(nextOccurrence(once, at('2026-11-30T00:00:00Z'))).toEqual(at('2026-12-01T10:00:00Z'));
    expect(nextOccurrence(once, at('2026-12-01T10:00:00Z'))).toBeUndefined();
  });

  it('supports seconds in cron and COUNT in RRULE', () => {
    expect(iso(nextOccurrences({ kind: 'cron', cron: '*/15 * * * * *', timezone: 'UTC' }, at('2026-01-01T00:00:00Z'), 2))).toEqual([
      '2026-01-01T00:00:15.000Z',
      '2026-01-01T00:00:30.000Z',
    ]);
    expect(
      nextOccurrences({ kind: 'rrule', rrule: 'FREQ=WEEKLY;COUNT=3', dtstart: '2026-01-05T09:00', timezone: 'UTC' }, at('2026-01-01T00:00:00Z'), 10),
    ).toHaveLength(3);
  });

  it('validates what users type', () => {
    expect(() => checkCron('61 * * * *')).toThrow();
    expect(() => checkCron('not a cron')).toThrow();
    expect(() => checkRrule('FREQ=SOMETIMES', '2026-01-01T09:00')).toThrow();
    expect(() => checkRrule('DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY', '2026-01-01T09:00')).toThrow(/own fields/);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(parseLocalDateTime('2026-02-30T09:00')).toBeUndefined();
    expect(parseLocalDateTime('2026-02-28T09:00')).toEqual(at('2026-02-28T09:00:00Z'));
    expect(fromWallTime(at('2026-07-01T12:00:00Z'), BERLIN)).toEqual(at('2026-07-01T10:00:00Z'));
  });
});

describe('misfire policies after downtime', () => {
  const everyMinute = { kind: 'cron' as const, cron: '* * * * *', timezone: 'UTC' };
  const due = at('2026-01-01T10:00:00Z');
  const now = at('2026-01-01T10:05:30Z'); // 10:00 … 10:05 are due; 10:05 is within the grace

  it('skip drops the missed runs, fires an on-time one, and jumps to the future', () => {
    expect(planFires(everyMinute, due, now, 'skip')).toEqual({ fires: [at('2026-01-01T10:05:00Z')], next: at('2026-01-01T10:06:00Z') });
    expect(planFires(everyMinute, due, at('2026-01-01T10:05:59.999Z'), 'skip').fires).toHaveLength(1);
    const late = planFires({ kind: 'cron', cron: '0 * * * *', timezone: 'UTC' }, due, at('2026-01-01T10:30:00Z'), 'skip');
    expect(late).toEqual({ fires: [], next: at('2026-01-01T11:00:00Z') });
  });

  it('fire_once fires the latest missed run once, then the on-time ones', () => {
    expect(planFires({ kind: 'cron', cron: '0 * * * *', timezone: 'UTC' }, due, at('2026-01-01T13:30:00Z'), 'fire_once')).toEqual({
      fires: [at('2026-01-01T13:00:00Z')],
      next: at('2026-01-01T14:00:00Z'),
    });
    expect(planFires(everyMinute, due, now, 'fire_once').fires).toEqual([at('2026-01-01T10:04:00Z'), at('2026-01-01T10:05:00Z')]);
  });

  it('fire_all fires the latest 100 missed runs, then every on-time one', () => {
    expect(planFires(everyMinute, due, now, 'fire_all').fires).toHaveLength(6);
    const days = planFires(everyMinute, due, at('2026-01-03T10:00:00Z'), 'fire_all');
    // 100 missed (08:19 … 09:58), then 09:59 and 10:00, within the grace.
    expect(days.fires).toHaveLength(FIRE_ALL_CAP + 2);
    expect(days.fires[0]).toEqual(at('2026-01-03T08:19:00Z'));
    expect(days.fires.at(-1)).toEqual(at('2026-01-03T10:00:00Z'));
    for (let i = 1; i < days.fires.length; i += 1) expect(days.fires[i]!.getTime() - days.fires[i - 1]!.getTime()).toBe(60_000);
  });

  it('stops at the end date and after a one-shot', () => {
    expect(planFires(everyMinute, due, now, 'fire_all', at('2026-01-01T10:02:00Z'))).toEqual({
      fires: [due, at('2026-01-01T10:01:00Z'), at('2026-01-01T10:02:00Z')],
      next: null,
    });
    expect(planFires({ kind: 'one_shot', runAt: due }, due, now, 'fire_once')).toEqual({ fires: [due], next: null });
    expect(planFires({ kind: 'one_shot', runAt: due }, due, now, 'skip')).toEqual({ fires: [], next: null });
  });
});

describe('on-time fires: every occurrence within the grace fires, once, whatever the policy', () => {
  const everySecond = { kind: 'cron' as const, cron: '* * * * * *', timezone: 'UTC' };
  const everySecondRule = { kind: 'rrule' as const, rrule: 'FREQ=SECONDLY', dtstart: '2026-01-01T00:00', timezone: 'UTC' };
  const now = at('2026-03-01T12:00:03.250Z');

  it.each([
    ['cron', everySecond],
    ['rrule', everySecondRule],
  ] as const)('%s: a tick 3 s late fires the 4 seconds due, oldest first', (_label, recurrence) => {
    for (const policy of ['skip', 'fire_once', 'fire_all'] as const) {
      expect(iso(planFires(recurrence, at('2026-03-01T12:00:00Z'), now, policy).fires)).toEqual([
        '2026-03-01T12:00:00.000Z',
        '2026-03-01T12:00:01.000Z',
        '2026-03-01T12:00:02.000Z',
        '2026-03-01T12:00:03.000Z',
      ]);
    }
    expect(planFires(recurrence, at('2026-03-01T12:00:00Z'), now, 'skip').next).toEqual(at('2026-03-01T12:00:04Z'));
  });

  it("next_run_at fires as recorded even off the rule's grid (set by hand, or by a rule since changed)", () => {
    const hourly = { kind: 'cron' as const, cron: '0 * * * *', timezone: 'UTC' };
    const offGrid = at('2026-03-01T11:59:58Z');
    expect(planFires(hourly, offGrid, now, 'fire_once')).toEqual({ fires: [offGrid, at('2026-03-01T12:00:00Z')], next: at('2026-03-01T13:00:00Z') });
    const longAgo = at('2026-03-01T09:30:00Z');
    expect(planFires(hourly, longAgo, now, 'fire_all').fires).toEqual([
      longAgo,
      at('2026-03-01T10:00:00Z'),
      at('2026-03-01T11:00:00Z'),
      at('2026-03-01T12:00:00Z'),
    ]);
    expect(planFires(hourly, longAgo, now, 'skip').fires).toEqual([at('2026-03-01T12:00:00Z')]);
  });

  it('all of the last 60 s fire; older ones follow the policy', () => {
    const due = at('2026-03-01T11:58:00Z'); // 2 min late: 11:58:00 … 11:59:03 missed, 11:59:04 … 12:00:03 on time
    const skip = planFires(everySecond, due, now, 'skip').fires;
    expect(skip).toHaveLength(60);
    expect(skip[0]).toEqual(at('2026-03-01T11:59:04Z'));
    const once = planFires(everySecond, due, now, 'fire_once').fires;
    expect(once).toEqual([at('2026-03-01T11:59:03Z'), ...skip]);
    const all = planFires(everySecond, due, now, 'fire_all').fires;
    expect(all).toHaveLength(64 + 60);
    expect(all[0]).toEqual(due);
  });

  it.each([
    ['cron', everySecond],
    ['rrule', everySecondRule],
  ] as const)('%s: due 200 days ago, fire_all fires the latest 100 missed and the on-time ones, without walking from then', (_label, recurrence) => {
    const plan = planFires(recurrence, at('2025-08-13T12:00:00Z'), at('2026-03-01T12:00:00Z'), 'fire_all');
    expect(plan.fires).toHaveLength(FIRE_ALL_CAP + 61);
    expect(plan.fires[0]).toEqual(at('2026-03-01T11:57:20Z'));
    expect(plan.fires[FIRE_ALL_CAP]).toEqual(at('2026-03-01T11:59:00Z'));
    expect(plan.next).toEqual(at('2026-03-01T12:00:01Z'));
    expect(planFires(recurrence, at('2025-08-13T12:00:00Z'), at('2026-03-01T12:00:00Z'), 'fire_once').fires[0]).toEqual(at('2026-03-01T11:58:59Z'));
  });
});
