import { cronNextWall, cronWallsBefore } from './cron-rule';
import { RRULE_SKIPPED_PER_STEP, RecurrenceLimitError } from './limits';
import { type PreparedRule, anchorFor, prepareRule } from './rrule-rule';
import { type Visit, type WalkReport, walkRule } from './rrule-walk';
import { fromWallTime, toWallTime } from './zoned-time';

/** When a schedule fires, independent of what it submits. */
export type Recurrence =
  | { kind: 'one_shot'; runAt: Date }
  | { kind: 'cron'; cron: string; timezone: string }
  /** dtstart is the local wall time of the first occurrence ("2026-03-01T09:00:00"), in timezone. */
  | { kind: 'rrule'; rrule: string; dtstart: string; timezone: string };

type Repeating = Exclude<Recurrence, { kind: 'one_shot' }>;

/** Parses an RRULE with its DTSTART and checks it can be expanded within the caps; throws with the reason. */
export function checkRrule(rrule: string, dtstart: string): void {
  const p = prepareRule(rrule, dtstart);
  if (p.options.count === null) return;
  // A COUNT rule is walked from DTSTART every time (its count starts there): its whole
  // expansion must fit one step's bounds, or it would fail later, in the scheduler.
  let seen = 0;
  const report = walk(p, p.dtstart, () => (++seen > RRULE_SKIPPED_PER_STEP ? 'stop' : 'more'));
  if (report.outcome !== 'ended') {
    throw new RecurrenceLimitError(
      `${p.label} with COUNT=${p.options.count} is expanded from DTSTART on every use, and reaching its end takes more than the bound; use UNTIL instead of COUNT, or a later DTSTART`,
    );
  }
}

function walk(p: PreparedRule, anchor: Date, visit: (wall: Date) => Visit): WalkReport {
  return walkRule(p.rule, p.options, anchor, { periodsPerStep: p.periodsPerStep, skipped: RRULE_SKIPPED_PER_STEP }, visit);
}

function limitError(p: PreparedRule, report: WalkReport, fromWall: Date): RecurrenceLimitError {
  const from = fromWall.toISOString().slice(0, 16);
  if (report.outcome === 'skipped')
    return new RecurrenceLimitError(
      `${p.label}: more than ${RRULE_SKIPPED_PER_STEP} occurrences lie between DTSTART and ${from} (a COUNT rule is expanded from DTSTART); use UNTIL or a later DTSTART`,
    );
  return new RecurrenceLimitError(`${p.label} has no occurrence within ${p.reach} after ${from} (the search stops there); it fires too rarely or never`);
}

/**
 * Calls visit with each wall time (floating) of the expansion strictly after `afterWall`, in
 * order, until it says stop or the rule ends. Each step to the next occurrence is bounded
 * (RecurrenceLimitError past the bound): cron by a horizon of years, RRULE by periods from
 * a recent anchor instead of DTSTART.
 */
function forEachWall(recurrence: Repeating, afterWall: Date, visit: (wall: Date) => 'more' | 'stop'): void {
  if (recurrence.kind === 'cron') {
    for (let wall = afterWall; ;) {
      wall = cronNextWall(recurrence.cron, wall);
      if (visit(wall) === 'stop') return;
    }
  }
  const p = prepareRule(recurrence.rrule, recurrence.dtstart);
  const report = walk(p, anchorFor(p, afterWall), (wall) => (wall <= afterWall ? 'skip' : visit(wall)));
  if (report.outcome === 'periods' || report.outcome === 'skipped') throw limitError(p, report, afterWall);
}

/**
 * Calls visit with each occurrence (an instant) strictly after `after`, in order, until it
 * says stop or the rule ends. Expansion runs in the zone's wall time; DST is settled by
 * fromWallTime's rule, and an occurrence whose instant is not after the previous one (a
 * repeated hour) is passed over: the next one is looked for after the wall time of the last
 * instant, exactly as stepping one occurrence at a time from it would.
 */
export function forEachOccurrence(recurrence: Recurrence, after: Date, visit: (instant: Date) => 'more' | 'stop'): void {
  if (recurrence.kind === 'one_shot') {
    if (recurrence.runAt > after) visit(recurrence.runAt);
    return;
  }
  const zone = recurrence.timezone;
  let last = after;
  let cursor = toWallTime(after, zone);
  forEachWall(recurrence, cursor, (wall) => {
    if (wall <= cursor) return 'more';
    const instant = fromWallTime(wall, zone);
    if (instant <= last) {
      cursor = wall;
      return 'more';
    }
    last = instant;
    cursor = toWallTime(instant, zone);
    return visit(instant);
  });
}

/** The first occurrence strictly after `after` (an instant), or undefined when there is none. */
export function nextOccurrence(recurrence: Recurrence, after: Date): Date | undefined {
  return nextOccurrences(recurrence, after, 1)[0];
}

/** Up to `count` occurrences strictly after `after`, in order (none after `until`). */
export function nextOccurrences(recurrence: Recurrence, after: Date, count: number, until?: Date): Date[] {
  const out: Date[] = [];
  if (count <= 0) return out;
  forEachOccurrence(recurrence, after, (instant) => {
    if (until && instant > until) return 'stop';
    out.push(instant);
    return out.length < count ? 'more' : 'stop';
  });
  return out;
}

/** Window sizes, in periods of an RRULE, for the search backward: small first, so a dense rule stays cheap. */
const BACK_WINDOWS = [1, 8, 64, 512];

/**
 * Up to `count` occurrences before `before` and not before `notBefore`, oldest first: the
 * latest ones. Found without walking from `notBefore` (which may be months back for an
 * every-second schedule): cron steps backward; an RRULE walks forward from anchors a growing
 * number of periods back. The search is bounded, so after long downtime of a sparse rule it
 * may return fewer (or none) of the oldest.
 */
export function occurrencesBefore(recurrence: Recurrence, before: Date, notBefore: Date, count: number): Date[] {
  if (recurrence.kind === 'one_shot') {
    const t = recurrence.runAt;
    return t < before && t >= notBefore && count > 0 ? [t] : [];
  }
  const zone = recurrence.timezone;
  const beforeWall = toWallTime(before, zone);
  const notBeforeWall = toWallTime(notBefore, zone);
  let walls: Date[];
  if (recurrence.kind === 'cron') {
    walls = cronWallsBefore(recurrence.cron, beforeWall, notBeforeWall, count).reverse();
  } else {
    walls = rruleWallsBefore(prepareRule(recurrence.rrule, recurrence.dtstart), beforeWall, notBeforeWall, count);
  }
  // Instants, in order, each after the last (a repeated hour's wall times map to one instant).
  const out: Date[] = [];
  for (const wall of walls) {
    const instant = fromWallTime(wall, zone);
    if (instant >= notBefore && instant < before && (out.length === 0 || instant > out.at(-1)!)) out.push(instant);
  }
  return out.slice(-count);
}

function rruleWallsBefore(p: PreparedRule, beforeWall: Date, notBeforeWall: Date, count: number): Date[] {
  let found: Date[] = [];
  for (const back of [...BACK_WINDOWS.filter((n) => n < p.periodsPerStep), p.periodsPerStep]) {
    const anchor = anchorFor(p, beforeWall, back);
    const latest: Date[] = [];
    let seen = 0;
    const report = walk(p, anchor, (wall) => {
      if (wall >= beforeWall) return 'stop';
      if (wall >= notBeforeWall) latest.push(wall);
      if (latest.length > count) latest.shift();
      // A dense window that did not reach `beforeWall` yet: the smaller window's answer stands.
      return ++seen > RRULE_SKIPPED_PER_STEP ? 'stop' : 'more';
    });
    if (report.outcome === 'periods' || report.outcome === 'skipped' || seen > RRULE_SKIPPED_PER_STEP) return found;
    found = latest;
    if (found.length >= count || anchor <= notBeforeWall || anchor.getTime() === p.dtstart.getTime()) return found;
  }
  return found;
}

/** The recurrence stored in a schedule's columns. */
export function recurrenceFromFields(fields: {
  kind: string;
  run_at: Date | null;
  cron: string | null;
  rrule: string | null;
  dtstart: string | null;
  timezone: string;
}): Recurrence {
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
