import type { RRule } from 'rrule';

export type ParsedRuleOptions = RRule['options'];

export interface WalkLimits {
  /** Periods the iterator may walk after the last occurrence it produced (or from the start). */
  periodsPerStep: number;
  /** Occurrences `visit` may pass over (answer 'skip') in the whole walk. */
  skipped: number;
}

/** What visit says of an occurrence: it is before what the caller wants, wanted, or the last wanted. */
export type Visit = 'skip' | 'more' | 'stop';

export interface WalkReport {
  /** 'stopped': visit said stop; 'ended': the rule has no more occurrences; else which limit ended it. */
  outcome: 'stopped' | 'ended' | 'periods' | 'skipped';
  /** Periods the iterator walked in all. */
  periods: number;
}

/** Thrown from inside rrule's iterator to end a walk; never escapes walkRule. */
class EndWalk extends Error {}

/**
 * Walks the occurrences (floating wall times) of a parsed rule from `dtstart`, calling visit
 * with each, in order, within the limits.
 *
 * rrule.js 2.8.1 gives no way to bound its iterator: iter() (dist/es5/rrule.js) loops period
 * by period and checks UNTIL and its result collector only on an occurrence, so a rule with
 * none (BYMONTH=2;BYMONTHDAY=30) loops to the year 9999. What it does do is read
 * `options.interval` once before its loop and twice per period (its `interval === 0` check
 * and DateTime.add). So the options handed to it count those reads and throw past the limit;
 * the throw unwinds the iterator wherever it is, and nothing of a half-advanced iterator is
 * kept. The package pins rrule at exactly 2.8.1, and the tests prove the bound holds (a rule
 * that never fires is refused for the cap, and a walk reports its periods).
 */
export function walkRule(rule: RRule, options: ParsedRuleOptions, dtstart: Date, limits: WalkLimits, visit: (wall: Date) => Visit): WalkReport {
  const maxReads = 2 * limits.periodsPerStep + 1;
  let reads = 0;
  let totalReads = 0;
  let skipped = 0;
  let outcome: WalkReport['outcome'] = 'ended';
  const counted: ParsedRuleOptions = { ...options, dtstart };
  Object.defineProperty(counted, 'interval', {
    enumerable: true,
    get: () => {
      reads += 1;
      totalReads += 1;
      if (reads > maxReads) {
        outcome = 'periods';
        throw new EndWalk();
      }
      return options.interval;
    },
  });
  const previous = rule.options;
  rule.options = counted;
  try {
    rule.all((wall) => {
      reads = 0; // an occurrence: the budget of periods starts again
      const answer = visit(wall);
      if (answer === 'skip' && ++skipped > limits.skipped) {
        outcome = 'skipped';
        throw new EndWalk();
      }
      if (answer === 'stop') outcome = 'stopped';
      return answer !== 'stop';
    });
  } catch (error) {
    if (!(error instanceof EndWalk)) throw error;
  } finally {
    rule.options = previous;
  }
  return { outcome, periods: Math.max(0, Math.floor((totalReads - 1) / 2)) };
}
