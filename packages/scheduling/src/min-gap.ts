import { Frequency } from 'rrule';
import { cronTimeFields } from './cron-rule';
import type { Recurrence } from './recurrence';
import { prepareRule } from './rrule-rule';

/**
 * A lower bound of the smallest gap, in seconds, between two fires of a recurrence, over the
 * whole rule rather than its next few fires. It looks at the times of day the rule can fire:
 * for cron and for daily-or-coarser RRULEs the product of its hours, minutes and seconds (in
 * order), with the wrap from the last of one day to the first of the next; for HOURLY and
 * MINUTELY the times within one period with the wrap across INTERVAL periods; SECONDLY is its
 * INTERVAL. Day filters and BYSETPOS only remove fires, so the bound holds for every rule,
 * though it may be below the actual gap of a rule whose days are never consecutive or whose
 * BYSETPOS keeps only some of those times.
 */
export function smallestGapSeconds(recurrence: Recurrence): number {
  if (recurrence.kind === 'one_shot') return Infinity;
  if (recurrence.kind === 'cron') {
    const { hours, minutes, seconds } = cronTimeFields(recurrence.cron);
    return productGap(hours, minutes, seconds, 86_400);
  }
  const o = prepareRule(recurrence.rrule, recurrence.dtstart).options;
  const minutes = o.byminute ?? [];
  const seconds = o.bysecond ?? [];
  switch (o.freq) {
    case Frequency.SECONDLY:
      return o.interval;
    case Frequency.MINUTELY:
      return productGap([0], [0], seconds, 60 * o.interval);
    case Frequency.HOURLY:
      return productGap([0], minutes, seconds, 3600 * o.interval);
    default:
      // Consecutive fire days are at least INTERVAL days apart only for DAILY.
      return productGap(o.byhour ?? [], minutes, seconds, 86_400 * (o.freq === Frequency.DAILY ? o.interval : 1));
  }
}

/**
 * The smallest gap in the times hours × minutes × seconds, repeated every `period` seconds,
 * without listing them (a cron "* * * * * *" has 86,400): in ascending order two neighbours
 * differ in their second only (the smallest step between seconds), or in their minute (from
 * the last second of one minute to the first of the next), or in their hour, or wrap into the
 * next period; each kind's smallest gap comes from the smallest step of its field.
 */
function productGap(hours: number[], minutes: number[], seconds: number[], period: number): number {
  const [h, m, s] = [hours, minutes, seconds].map((values) => [...new Set(values)].sort((a, b) => a - b));
  if (!h!.length || !m!.length || !s!.length) return period;
  const spread = (values: number[]) => values.at(-1)! - values[0]!;
  const step = (values: number[]) => values.slice(1).reduce((min, v, i) => Math.min(min, v - values[i]!), Infinity);
  const last = h!.at(-1)! * 3600 + m!.at(-1)! * 60 + s!.at(-1)!;
  const first = h![0]! * 3600 + m![0]! * 60 + s![0]!;
  return Math.min(step(s!), step(m!) * 60 - spread(s!), step(h!) * 3600 - spread(m!) * 60 - spread(s!), period - last + first);
}
