import { type Recurrence, nextOccurrence } from './recurrence';

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
 * Occurrences from `due` to `now` are on time if within MISFIRE_GRACE_MS of now, else missed:
 * - skip:      missed ones are dropped; an on-time one fires;
 * - fire_once: if any is due, the latest one fires, once;
 * - fire_all:  every due one fires, oldest first, at most FIRE_ALL_CAP (the oldest beyond
 *              that are dropped).
 * Then the schedule jumps to its first occurrence after now (or before `endAt`, else done).
 */
export function planFires(recurrence: Recurrence, due: Date, now: Date, policy: MisfirePolicy, endAt?: Date | null): FirePlan {
  const dueTimes: Date[] = [];
  for (let t: Date | undefined = due; t && t <= now && (!endAt || t <= endAt); t = nextOccurrence(recurrence, t)) {
    dueTimes.push(t);
    if (dueTimes.length > FIRE_ALL_CAP) dueTimes.shift();
  }
  let fires: Date[];
  if (policy === 'fire_all') fires = dueTimes;
  else if (policy === 'fire_once') fires = dueTimes.slice(-1);
  else fires = dueTimes.filter((t) => now.getTime() - t.getTime() <= MISFIRE_GRACE_MS).slice(-1);
  const next = nextOccurrence(recurrence, now);
  return { fires, next: next && (!endAt || next <= endAt) ? next : null };
}
