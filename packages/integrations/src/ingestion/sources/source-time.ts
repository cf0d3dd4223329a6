import type { TimeWindow } from '../source';

/**
 * [from, to) as the first and last whole second inside it, for APIs whose time filters are
 * inclusive and to the second: an item stamped at second t is in the window exactly when
 * first <= t <= last, so consecutive windows neither overlap nor leave a gap.
 */
export function inclusiveSeconds(window: TimeWindow): { first: Date; last: Date } {
  const first = Math.ceil(window.from.getTime() / 1000) * 1000;
  const last = Math.ceil(window.to.getTime() / 1000) * 1000 - 1000;
  return { first: new Date(first), last: new Date(last) };
}

/** Whether an instant is in [from, to). */
export const inWindow = (at: Date, window: TimeWindow): boolean => at >= window.from && at < window.to;
