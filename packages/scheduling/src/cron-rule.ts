import { CronExpressionParser } from 'cron-parser';
import { CRON_HORIZON_YEARS, RecurrenceLimitError } from './limits';

type Expression = ReturnType<typeof CronExpressionParser.parse>;

// Parsed expressions, reused with reset(): parsing costs more than stepping, and many
// schedules share an expression. Each is parsed with a window of years around the year it
// serves (startDate/endDate), so that no step searches further than the window: cron-parser
// would otherwise step day by day for up to 10,000 steps (tens of ms for "0 0 * 2 1#5", the
// fifth Monday of February, which comes every 28 years). Forward, a step searches
// CRON_HORIZON_YEARS or more; backward (for missed times only, and slower in cron-parser),
// one year or more.
const windows = new Map<string, Expression>();

function windowFor(cron: string, year: number, direction: 'forward' | 'backward' = 'forward'): Expression {
  const key = `${year}|${direction}|${cron}`;
  let expression = windows.get(key);
  if (!expression) {
    const [back, ahead] = direction === 'forward' ? [0, CRON_HORIZON_YEARS] : [1, 0];
    expression = CronExpressionParser.parse(cron, {
      tz: 'UTC',
      currentDate: new Date(Date.UTC(year, 0, 1)),
      startDate: new Date(Date.UTC(year - back, 0, 1)),
      endDate: new Date(Date.UTC(year + ahead + 1, 0, 1)),
    });
    if (windows.size >= 10_000) windows.clear();
    windows.set(key, expression);
  }
  return expression;
}

/** cron-parser's way of saying that a step left the window (or ran out of its own steps). */
const outOfWindow = (error: unknown) => error instanceof Error && /time span range|loop limit/i.test(error.message);

/** Parses a cron expression (5 fields, or 6 with seconds); throws with the parser's reason. */
export function checkCron(cron: string): void {
  CronExpressionParser.parse(cron, { tz: 'UTC' });
}

/** The seconds, minutes and hours a cron expression fires at (for the smallest gap). */
export function cronTimeFields(cron: string): { seconds: number[]; minutes: number[]; hours: number[] } {
  const { fields } = windowFor(cron, 2000);
  return { seconds: [...fields.second.values] as number[], minutes: [...fields.minute.values] as number[], hours: [...fields.hour.values] as number[] };
}

/** The first wall time strictly after `afterWall`; throws RecurrenceLimitError past the horizon. */
export function cronNextWall(cron: string, afterWall: Date): Date {
  const expression = windowFor(cron, afterWall.getUTCFullYear());
  expression.reset(afterWall);
  try {
    return expression.next().toDate();
  } catch (error) {
    if (!outOfWindow(error)) throw error;
    throw new RecurrenceLimitError(
      `the cron expression "${cron}" has no time within ${CRON_HORIZON_YEARS} years after ${afterWall.toISOString().slice(0, 16)}; it fires too rarely or never`,
    );
  }
}

/**
 * Up to `count` wall times before `beforeWall`, not before `notBeforeWall`, latest first. The
 * whole search stays within one window (back to the start of the previous year), so it costs
 * one bounded walk however sparse the expression; older times are not looked for.
 */
export function cronWallsBefore(cron: string, beforeWall: Date, notBeforeWall: Date, count: number): Date[] {
  const expression = windowFor(cron, beforeWall.getUTCFullYear(), 'backward');
  expression.reset(beforeWall);
  const out: Date[] = [];
  while (out.length < count) {
    let wall: Date;
    try {
      wall = expression.prev().toDate();
    } catch (error) {
      if (!outOfWindow(error)) throw error;
      break;
    }
    if (wall < notBeforeWall) break;
    out.push(wall);
  }
  return out;
}
