import { CronExpressionParser } from 'cron-parser';
import { RRule } from 'rrule';
import { fromWallTime, toWallTime } from './zoned-time';

/** When a schedule fires, independent of what it submits. */
export type Recurrence =
  | { kind: 'one_shot'; runAt: Date }
  | { kind: 'cron'; cron: string; timezone: string }
  /** dtstart is the local wall time of the first occurrence ("2026-03-01T09:00:00"), in timezone. */
  | { kind: 'rrule'; rrule: string; dtstart: string; timezone: string };

const LOCAL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A floating Date from "YYYY-MM-DDTHH:mm[:ss]" (no offset: it is a wall time). */
export function parseLocalDateTime(text: string): Date | undefined {
  const m = LOCAL_DATETIME.exec(text);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)));
  return Number.isNaN(date.getTime()) || date.getUTCDate() !== +m[3]! ? undefined : date;
}

/** Parses a cron expression (5 fields, or 6 with seconds); throws with the parser's reason. */
export function checkCron(cron: string): void {
  CronExpressionParser.parse(cron, { tz: 'UTC' });
}

/** Parses an RRULE (with or without the "RRULE:" prefix); throws when it is not one. */
export function checkRrule(rrule: string): void {
  const text = rrule.replace(/^RRULE:/i, '');
  if (/DTSTART|TZID/i.test(text)) throw new Error('give DTSTART and the time zone as their own fields, not inside the RRULE');
  const options = RRule.parseString(text);
  if (options.freq === undefined) throw new Error('an RRULE needs FREQ');
}

// Parsed cron expressions, reused with reset(): parsing costs more than stepping, and many
// schedules share an expression.
const parsedCrons = new Map<string, ReturnType<typeof CronExpressionParser.parse>>();

function cronAfter(cron: string, afterWall: Date): Date | undefined {
  let expression = parsedCrons.get(cron);
  if (!expression) {
    expression = CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: afterWall });
    if (parsedCrons.size > 10_000) parsedCrons.clear();
    parsedCrons.set(cron, expression);
  } else {
    expression.reset(afterWall);
  }
  return expression.hasNext() ? expression.next().toDate() : undefined;
}

/** The next wall time (floating) of the expansion strictly after the given wall time. */
function nextWall(recurrence: Exclude<Recurrence, { kind: 'one_shot' }>, afterWall: Date): Date | undefined {
  if (recurrence.kind === 'cron') return cronAfter(recurrence.cron, afterWall);
  const dtstart = parseLocalDateTime(recurrence.dtstart);
  if (!dtstart) throw new Error(`dtstart "${recurrence.dtstart}" is not a local date-time like 2026-03-01T09:00`);
  const rule = new RRule({ ...RRule.parseString(recurrence.rrule.replace(/^RRULE:/i, '')), dtstart });
  return rule.after(afterWall, false) ?? undefined;
}

/**
 * The first occurrence strictly after `after` (an instant), or undefined when there is none.
 * Expansion runs in the zone's wall time; DST is settled by fromWallTime's rule, and an
 * occurrence whose instant is not after `after` (a repeated hour) is passed over.
 */
export function nextOccurrence(recurrence: Recurrence, after: Date): Date | undefined {
  if (recurrence.kind === 'one_shot') return recurrence.runAt > after ? recurrence.runAt : undefined;
  let wall = toWallTime(after, recurrence.timezone);
  for (let guard = 0; guard < 1000; guard += 1) {
    const candidate = nextWall(recurrence, wall);
    if (!candidate) return undefined;
    const instant = fromWallTime(candidate, recurrence.timezone);
    if (instant > after) return instant;
    wall = candidate;
  }
  return undefined;
}

/** Up to `count` occurrences strictly after `after`, in order. */
export function nextOccurrences(recurrence: Recurrence, after: Date, count: number, until?: Date): Date[] {
  const out: Date[] = [];
  let cursor = after;
  while (out.length < count) {
    const next = nextOccurrence(recurrence, cursor);
    if (!next || (until && next > until)) break;
    out.push(next);
    cursor = next;
  }
  return out;
}

/** The recurrence stored in a schedule's columns. */
export function recurrenceFromFields(fields: { kind: string; run_at: Date | null; cron: string | null; rrule: string | null; dtstart: string | null; timezone: string }): Recurrence {
  switch (fields.kind) {
    case 'one_shot':
      return { kind: 'one_shot', runAt: fields.run_at! };
    case 'cron':
      return { kind: 'cron', cron: fields.cron!, timezone: fields.timezone };
    case 'rrule':
      return { kind: 'rrule', rrule: fields.rrule!, dtstart: fields.dtstart!, timezone: fields.timezone };
    default:
      throw new Error(`unknown schedule kind "${fields.kind}"`);
  }
}
