// A schedule's rule in plain words: cronstrue for cron, rrule's toText for RRULE.
import cronstrue from 'cronstrue';
import { RRule } from 'rrule';
import { formatTime } from './format';
import type { ScheduleView } from '@conveyor/client';

export function describeSchedule(schedule: ScheduleView): string {
  try {
    if (schedule.kind === 'cron' && schedule.cron)
      return `${cronstrue.toString(schedule.cron, { use24HourTimeFormat: true, verbose: false })} (${schedule.timezone})`;
    if (schedule.kind === 'rrule' && schedule.rrule)
      return `${capitalise(RRule.fromString(schedule.rrule.replace(/^RRULE:/i, '')).toText())} (${schedule.timezone})`;
    if (schedule.kind === 'one_shot') return `Once, at ${formatTime(schedule.run_at, schedule.timezone)} (${schedule.timezone})`;
  } catch (error) {
    return `${schedule.cron ?? schedule.rrule ?? schedule.kind} (not described: ${(error as Error).message})`;
  }
  return schedule.kind;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
