import { setImmediate as nextTurn } from 'node:timers/promises';
import { type CreateScheduleBody, type ScheduleView, TASK_NAMES, getTaskDefinition } from '@conveyor/contracts';
import type { Plan, ScheduleRow } from '@conveyor/db';
import {
  MIN_INTERVAL_SECONDS,
  type Recurrence,
  RecurrenceLimitError,
  checkCron,
  checkRrule,
  isValidTimeZone,
  nextOccurrence,
  parseLocalDateTime,
  smallestGapSeconds,
  yearRangeProblem,
} from '@conveyor/scheduling';
import { refuseSystemTasks } from './submit-tasks';
import { HttpError, type Issue, toIssues } from './http-error';

export type ScheduleFields = Pick<CreateScheduleBody, 'kind' | 'run_at' | 'cron' | 'rrule' | 'dtstart' | 'timezone' | 'task' | 'payload' | 'end_at'>;

function fail(issues: Issue[]): never {
  throw new HttpError(400, 'validation_failed', `Invalid schedule: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/**
 * Up to `count` occurrences after `after` (none after `until`), one step at a time with a turn
 * of the event loop between steps: each step is bounded (a few ms at worst), and other
 * requests are served between them, so no request holds the loop for more than one step.
 */
export async function upcoming(recurrence: Recurrence, after: Date, count: number, until?: Date): Promise<Date[]> {
  const out: Date[] = [];
  for (let cursor = after; out.length < count;) {
    const next = nextOccurrence(recurrence, cursor);
    if (!next || (until && next > until)) break;
    out.push(next);
    cursor = next;
    await nextTurn();
  }
  return out;
}

/** A date field's range problem as a 400 naming the field (Date.UTC-style misreadings included). */
function checkYear(path: string, date: Date | undefined) {
  const problem = date && yearRangeProblem(date);
  if (problem) fail([{ path, message: problem }]);
}

/**
 * Checks a schedule as a whole (task and payload against the catalog, time zone, cron or
 * RRULE, the years its dates name, the plan's shortest interval over the whole rule) and works
 * out its first fire after `now` (Postgres' clock). Every problem is a 400 that names the
 * field. The rule's expansion is bounded (packages/scheduling): one that fires too rarely or
 * never is refused with the reason, in a few milliseconds.
 */
export async function resolveSchedule(
  fields: ScheduleFields,
  plan: Plan,
  now: Date,
): Promise<{ recurrence: Recurrence; payload: unknown; next: Date; preview: Date[] }> {
  const definition = getTaskDefinition(fields.task);
  if (!definition) fail([{ path: 'task', message: `unknown task "${fields.task}"; known tasks: ${TASK_NAMES.join(', ')}` }]);
  refuseSystemTasks([definition]);
  const payload = definition.payload.safeParse(fields.payload);
  if (!payload.success) fail(toIssues(payload.error, 'payload'));
  if (!isValidTimeZone(fields.timezone)) fail([{ path: 'timezone', message: `unknown time zone "${fields.timezone}"; use an IANA name like Europe/Berlin` }]);
  const endAt = fields.end_at ? new Date(fields.end_at) : undefined;
  checkYear('end_at', endAt);

  const rulePath = fields.kind === 'one_shot' ? 'run_at' : fields.kind;
  let recurrence: Recurrence;
  let preview: Date[];
  try {
    if (fields.kind === 'one_shot') {
      recurrence = { kind: 'one_shot', runAt: new Date(fields.run_at!) };
      checkYear('run_at', recurrence.runAt);
    } else if (fields.kind === 'cron') {
      checkCron(fields.cron!);
      recurrence = { kind: 'cron', cron: fields.cron!, timezone: fields.timezone };
    } else {
      const dtstart = parseLocalDateTime(fields.dtstart!);
      if (!dtstart) fail([{ path: 'dtstart', message: 'must be a local date-time like 2026-03-01T09:00 (no offset: it is read in timezone)' }]);
      checkYear('dtstart', dtstart);
      checkRrule(fields.rrule!, fields.dtstart!);
      recurrence = { kind: 'rrule', rrule: fields.rrule!, dtstart: fields.dtstart!, timezone: fields.timezone };
    }
    preview = await upcoming(recurrence, now, 6, endAt);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (error instanceof RecurrenceLimitError) fail([{ path: rulePath, message: error.message }]);
    fail([{ path: rulePath, message: `not valid: ${error instanceof Error ? error.message : String(error)}` }]);
  }

  const next = preview[0];
  if (!next)
    fail([
      { path: fields.kind === 'one_shot' ? 'run_at' : 'end_at', message: 'the schedule would never fire: its first time is in the past or after its end' },
    ]);
  const minimum = MIN_INTERVAL_SECONDS[plan];
  const gap = smallestGapSeconds(recurrence);
  if (gap < minimum) {
    const how =
      fields.kind === 'rrule'
        ? '; the check takes every time of day the rule lists (BYHOUR × BYMINUTE × BYSECOND, or its INTERVAL), also where BYSETPOS or its days keep the fires apart, so list only the times it should fire'
        : '';
    fail([
      {
        path: fields.kind,
        message: `fires more often than the ${plan} plan allows (at most every ${minimum} s): two of its fires can be ${gap} s apart${how}`,
      },
    ]);
  }
  return { recurrence, payload: payload.data, next, preview: preview.slice(0, 5) };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A schedule as the API shows it, with its next fire times so a user can check it. */
export function toScheduleView(row: ScheduleRow, preview: Date[]): ScheduleView {
  return {
    schedule_id: row.id,
    name: row.name,
    task: row.task,
    payload: row.payload as Record<string, unknown>,
    kind: row.kind,
    run_at: iso(row.run_at),
    cron: row.cron,
    rrule: row.rrule,
    dtstart: row.dtstart,
    timezone: row.timezone,
    misfire_policy: row.misfire_policy,
    end_at: iso(row.end_at),
    enabled: row.enabled,
    next_run_at: iso(row.next_run_at),
    last_run_at: iso(row.last_run_at),
    created_at: row.created_at.toISOString(),
    next_fire_times: row.enabled ? preview.map((d) => d.toISOString()) : [],
  };
}
