import { type CreateScheduleBody, TASK_NAMES, getTaskDefinition } from '@conveyor/contracts';
import type { Plan, ScheduleRow } from '@conveyor/db';
import { type Recurrence, checkCron, checkRrule, isValidTimeZone, nextOccurrence, nextOccurrences, parseLocalDateTime } from '@conveyor/scheduling';
import { HttpError, type Issue, toIssues } from './http-error';

/** The shortest interval between fires each plan allows, in seconds. */
export const MIN_INTERVAL_SECONDS: Record<Plan, number> = { trial: 300, starter: 60, growth: 1 };

export type ScheduleFields = Pick<CreateScheduleBody, 'kind' | 'run_at' | 'cron' | 'rrule' | 'dtstart' | 'timezone' | 'task' | 'payload' | 'end_at'>;

function fail(issues: Issue[]): never {
  throw new HttpError(400, 'validation_failed', `Invalid schedule: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/**
 * Checks a schedule as a whole (task and payload against the catalog, time zone, cron or
 * RRULE, the plan's shortest interval) and works out its first fire after `now` (Postgres'
 * clock). Every problem is a 400 that names the field.
 */
export function resolveSchedule(fields: ScheduleFields, plan: Plan, now: Date): { recurrence: Recurrence; payload: unknown; next: Date; preview: Date[] } {
  const definition = getTaskDefinition(fields.task);
  if (!definition) fail([{ path: 'task', message: `unknown task "${fields.task}"; known tasks: ${TASK_NAMES.join(', ')}` }]);
  const payload = definition.payload.safeParse(fields.payload);
  if (!payload.success) fail(toIssues(payload.error, 'payload'));
  if (!isValidTimeZone(fields.timezone)) fail([{ path: 'timezone', message: `unknown time zone "${fields.timezone}"; use an IANA name like Europe/Berlin` }]);

  let recurrence: Recurrence;
  try {
    if (fields.kind === 'one_shot') {
      recurrence = { kind: 'one_shot', runAt: new Date(fields.run_at!) };
    } else if (fields.kind === 'cron') {
      checkCron(fields.cron!);
      recurrence = { kind: 'cron', cron: fields.cron!, timezone: fields.timezone };
    } else {
      if (!parseLocalDateTime(fields.dtstart!)) fail([{ path: 'dtstart', message: 'must be a local date-time like 2026-03-01T09:00 (no offset: it is read in timezone)' }]);
      checkRrule(fields.rrule!, fields.dtstart!);
      recurrence = { kind: 'rrule', rrule: fields.rrule!, dtstart: fields.dtstart!, timezone: fields.timezone };
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    fail([{ path: fields.kind === 'cron' ? 'cron' : 'rrule', message: `not valid: ${error instanceof Error ? error.message : String(error)}` }]);
  }

  const endAt = fields.end_at ? new Date(fields.end_at) : undefined;
  const preview = nextOccurrences(recurrence, now, 6, endAt);
  const next = preview[0] ?? nextOccurrence(recurrence, now);
  if (!next || (endAt && next > endAt)) fail([{ path: fields.kind === 'one_shot' ? 'run_at' : 'end_at', message: 'the schedule would never fire: its first time is in the past or after its end' }]);
  const minimum = MIN_INTERVAL_SECONDS[plan] * 1000;
  for (let i = 1; i < preview.length; i += 1) {
    if (preview[i]!.getTime() - preview[i - 1]!.getTime() < minimum) {
      fail([{ path: fields.kind, message: `fires more often than the ${plan} plan allows (at most every ${MIN_INTERVAL_SECONDS[plan]} s)` }]);
    }
  }
  return { recurrence, payload: payload.data, next, preview: preview.slice(0, 5) };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A schedule as the API shows it, with its next fire times so a user can check it. */
export function toScheduleView(row: ScheduleRow, preview: Date[]) {
  return {
    schedule_id: row.id,
    name: row.name,
    task: row.task,
    payload: row.payload,
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
