import { type Recurrence, forEachOccurrence, occurrencesBefore } from './recurrence';

export type MisfirePolicy = 'skip' | 'fire_once' | 'fire_all';

/** An occurrence older than this when the scheduler reaches it is a misfire. */
export const MISFIRE_GRACE_MS = 60_000;
/** fire_all never fires more than this many missed occurrences at once. */
export const FIRE_ALL_CAP = 100;

export interface FirePlan {
  /** The planned times to fire now, oldest first. */
  fires: Date[];
  /** The next future occurrence, or null when the schedule is done. */
  next: Date | null;
}

/**
 * What a due schedule does now. `due` is its stored next_run_at, `now` is Postgres' clock.
 * Every occurrence from `due` to `now` that is at most MISFIRE_GRACE_MS old is on time and
 * fires, each once, whatever the policy: a tick that came a few seconds late (a GC pause, a
 * busy core, a stopped process) loses nothing. Older ones are missed:
 * - skip:      they are dropped;
 * - fire_once: one catch-up fires, the latest missed;
 * - fire_all:  the latest FIRE_ALL_CAP of them fire (older ones are dropped).
 * Then the schedule moves to its first occurrence after now (none past `endAt`: done).
 * Nothing here walks from `due`: the missed ones are looked for backward from the grace's
 * edge, so a schedule due months ago costs what one due a minute ago does.
 */
export function planFires(recurrence: Recurrence, due: Date, now: Date, policy: MisfirePolicy, endAt?: Date | null): FirePlan {
  const cutoff = new Date(now.getTime() - MISFIRE_GRACE_MS);
  const end = endAt && endAt < now ? endAt : now;
  // `due` (next_run_at) is a fire time by the schedule's own record, whatever the rule says of
  // it now: it fires (or is missed) like the occurrences after it.
  const dueFires = !endAt || due <= endAt;

  let missed: Date[] = [];
  if (policy !== 'skip' && due < cutoff) {
    const count = policy === 'fire_all' ? FIRE_ALL_CAP : 1;
    missed = occurrencesBefore(recurrence, endAt && endAt < cutoff ? new Date(endAt.getTime() + 1) : cutoff, due, count);
    // The bounded search backward may not reach `due`, the oldest.
    if (dueFires && missed.length < count && !(missed[0] && missed[0] <= due)) missed.unshift(due);
  }

  // On time: from the grace's edge (or `due`, if later) to now, and the next one after that.
  const onTime: Date[] = due >= cutoff && dueFires ? [due] : [];
  let next: Date | null = null;
  forEachOccurrence(recurrence, due >= cutoff ? due : new Date(cutoff.getTime() - 1), (t) => {
    if (t <= end) {
      onTime.push(t);
      return 'more';
    }
    if (t > now) next = t;
    return 'stop';
  });
  const upcoming = next as Date | null;
  return { fires: [...missed, ...onTime], next: upcoming && (!endAt || upcoming <= endAt) ? upcoming : null };
}
