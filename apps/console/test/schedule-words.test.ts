import type { ScheduleView } from '@conveyor/client';
import { formatDuration, formatTime, formatUsd } from '../src/format';
import { describeSchedule } from '../src/schedule-text';

// What the console writes for a schedule and a time: plain words, and wall-clock times in a zone.

const base: ScheduleView = {
  schedule_id: '00000000-0000-4000-8000-000000000000',
  name: 'n',
  task: 'ping',
  payload: {},
  kind: 'cron',
  run_at: null,
  cron: null,
  rrule: null,
  dtstart: null,
  timezone: 'UTC',
  misfire_policy: 'fire_once',
  end_at: null,
  enabled: true,
  next_run_at: null,
  last_run_at: null,
  created_at: '2026-12-01T00:00:00.000Z',
  next_fire_times: [],
};

it('describes cron, RRULE and one-shot schedules in plain words with their zone', () => {
  expect(describeSchedule({ ...base, kind: 'cron', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' })).toBe('At 09:00, Monday through Friday (Europe/Berlin)');
  expect(describeSchedule({ ...base, kind: 'cron', cron: '*/15 * * * * *' })).toBe('Every 15 seconds (UTC)');
  expect(describeSchedule({ ...base, kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=MO,WE', timezone: 'America/New_York' })).toBe(
    'Every week on Monday, Wednesday (America/New_York)',
  );
  expect(describeSchedule({ ...base, kind: 'rrule', rrule: 'RRULE:FREQ=DAILY;INTERVAL=2' })).toBe('Every 2 days (UTC)');
  expect(describeSchedule({ ...base, kind: 'one_shot', run_at: '2026-12-01T08:00:00.000Z', timezone: 'Asia/Tokyo' })).toBe(
    'Once, at 2026-12-01 17:00:00 (Asia/Tokyo)',
  );
});

it('says so rather than failing when a rule cannot be described', () => {
  expect(describeSchedule({ ...base, kind: 'cron', cron: 'not a cron' })).toMatch(/^not a cron \(not described: .+\)$/);
});

it('writes an instant on the wall clock of a zone, across a change of daylight saving time', () => {
  expect(formatTime('2026-03-29T00:30:00Z', 'Europe/Berlin')).toBe('2026-03-29 01:30:00');
  expect(formatTime('2026-03-29T01:30:00Z', 'Europe/Berlin')).toBe('2026-03-29 03:30:00');
  expect(formatTime('2026-12-31T23:59:59Z')).toBe('2026-12-31 23:59:59');
  expect(formatTime(null)).toBe('—');
  expect(formatTime('garbage')).toBe('garbage');
});

it('writes durations and money a person reads at a glance', () => {
  expect([formatDuration(250), formatDuration(12_345), formatDuration(125_000), formatDuration(7_260_000), formatDuration(null)]).toEqual([
    '250 ms',
    '12.3 s',
    '2 min 5 s',
    '2 h 1 min',
    '—',
  ]);
  expect([formatUsd(12.5), formatUsd(0.000123), formatUsd(0), formatUsd(null)]).toEqual(['$12.50', '$0.000123', '$0.00', '—']);
});
