import type { TimeWindow } from '../source';

/** The instant rounded up to a whole second: what APIs whose times are to the second can be asked. */
export const ceilToSecond = (at: Date): Date => new Date(Math.ceil(at.getTime() / 1000) * 1000);

/**
 * [from, to) as the first and last whole second inside it, for APIs whose time filters are
 * inclusive and to the second: an item stamped at second t is in the window exactly when
 * first <= t <= last, so consecutive windows neither overlap nor leave a gap.
 */
export function inclusiveSeconds(window: TimeWindow): { first: Date; last: Date } {
  return { first: ceilToSecond(window.from), last: new Date(ceilToSecond(window.to).getTime() - 1000) };
}

/** Whether an instant is in [from, to). */
export const inWindow = (at: Date, window: TimeWindow): boolean => at >= window.from && at < window.to;
