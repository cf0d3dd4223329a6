// Conversions between instants and wall-clock times in an IANA zone. A wall time is carried
// as a "floating" Date whose UTC fields are the local fields, so that cron and RRULE
// expansion can run in plain UTC arithmetic, free of DST, and DST is decided here, once.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the zone is a valid IANA time zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

const QUARTER_HOUR = 900_000;
const offsets = new Map<string, number>();

/**
 * The zone's UTC offset at an instant. Intl formatting is slow (tens of microseconds), and the
 * tick resolves thousands of schedules at once, so offsets are cached per quarter hour: every
 * real zone changes its offset only on a quarter-hour boundary.
 */
function offsetAt(instantMs: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const bucket = Math.floor(instantMs / QUARTER_HOUR) * QUARTER_HOUR;
  const key = `${timeZone}|${bucket}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const parts = Object.fromEntries(
      formatter(timeZone)
        .formatToParts(new Date(bucket))
        .map((p) => [p.type, p.value]),
    );
    offset = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) - bucket;
    if (offsets.size > 200_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** The wall time (floating) that the instant shows in the zone. */
export function toWallTime(instant: Date, timeZone: string): Date {
  return new Date(instant.getTime() + offsetAt(instant.getTime(), timeZone));
}

/**
 * The instant a wall time (floating) names in the zone, by this rule:
 * - a wall time that occurs twice (clocks go back) is its FIRST occurrence;
 * - a wall time that does not exist (clocks go forward) is moved forward by the gap
 *   (02:30 on a spring-forward night, with a one-hour gap, is 03:30).
 */
export function fromWallTime(wall: Date, timeZone: string): Date {
  const local = wall.getTime();
  const before = offsetAt(local - 86_400_000, timeZone);
  const after = offsetAt(local + 86_400_000, timeZone);
  const valid = [local - before, local - after].filter((t) => t + offsetAt(t, timeZone) === local).sort((a, b) => a - b);
  return new Date(valid.length ? valid[0]! : local - before);
}
