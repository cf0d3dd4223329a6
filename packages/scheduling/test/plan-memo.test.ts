import { FirePlanner, type MisfirePolicy, type Recurrence, planFires } from '../src';

const at = (iso: string) => new Date(iso);
const now = at('2026-03-01T12:00:30Z');

interface Input {
  recurrence: Recurrence;
  due: Date;
  policy: MisfirePolicy;
  end?: Date;
}
const hourly: Recurrence = { kind: 'cron', cron: '0 * * * *', timezone: 'UTC' };
const base: Input = { recurrence: hourly, due: at('2026-03-01T09:00:00Z'), policy: 'fire_all' };
const noonIn = (timezone: string): Recurrence => ({ kind: 'cron', cron: '0 12 * * *', timezone });
const hourlyRule = (dtstart: string, rrule = 'FREQ=HOURLY'): Recurrence => ({ kind: 'rrule', rrule, dtstart, timezone: 'UTC' });

// Pairs of inputs that differ in one thing, and whose plans differ: a planner that left that
// thing out of what it remembers by would answer one of them with the other's plan.
const pairs: [string, Input, Input][] = [
  ['the policy', base, { ...base, policy: 'fire_once' }],
  ['the due time', base, { ...base, due: at('2026-03-01T10:00:00Z') }],
  ['the end', base, { ...base, end: at('2026-03-01T10:30:00Z') }],
  ['the expression', base, { ...base, recurrence: { ...hourly, cron: '*/30 * * * *' } }],
  ['the zone', { ...base, recurrence: noonIn('UTC') }, { ...base, recurrence: noonIn('Europe/Paris') }],
  ['the DTSTART', { ...base, recurrence: hourlyRule('2026-01-01T00:00:00') }, { ...base, recurrence: hourlyRule('2026-01-01T00:30:00') }],
  [
    'the RRULE',
    { ...base, recurrence: hourlyRule('2026-01-01T00:00:00') },
    { ...base, recurrence: hourlyRule('2026-01-01T00:00:00', 'FREQ=MINUTELY;INTERVAL=30') },
  ],
  ['the kind', { ...base, recurrence: { kind: 'one_shot', runAt: base.due } }, base],
];

describe('FirePlanner', () => {
  it.each(pairs)('plans inputs that differ in %s as planFires does, each its own', (_what, a, b) => {
    const planner = new FirePlanner(now);
    const plan = (i: Input) => planner.plan(i.recurrence, i.due, i.policy, i.end);
    const expected = (i: Input) => planFires(i.recurrence, i.due, now, i.policy, i.end);
    expect(expected(a)).not.toEqual(expected(b));
    expect([plan(a), plan(b), plan(a), plan(b)]).toEqual([expected(a), expected(b), expected(a), expected(b)]);
  });

  it('plans the same input once', () => {
    const planner = new FirePlanner(now);
    expect(planner.plan(hourly, base.due, 'fire_once')).toBe(planner.plan({ ...hourly }, new Date(base.due), 'fire_once'));
  });

  it('throws for every schedule whose rule cannot be planned, not only the first', () => {
    const planner = new FirePlanner(now);
    // The fifth Monday of February: no time within the search's horizon.
    const never: Recurrence = { kind: 'cron', cron: '0 0 * 2 1#5', timezone: 'UTC' };
    expect(() => planFires(never, base.due, now, 'skip')).toThrow();
    expect(() => planner.plan(never, base.due, 'skip')).toThrow();
    expect(() => planner.plan(never, base.due, 'skip')).toThrow();
  });
});
