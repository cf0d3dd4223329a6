import { RecurrenceLimitError, checkCron, nextOccurrence, smallestGapSeconds } from '@conveyor/scheduling';
import { HttpError } from './http-error';

// A source runs at most once a minute, whatever the system tenant's plan allows. The five
// fields of a cadence (contracts) already mean that; the gap is checked as a schedule's is, so
// that the rule holds by itself should the accepted syntax ever grow.
const MIN_GAP_SECONDS = 60;

function refuse(message: string): never {
  throw new HttpError(400, 'validation_failed', `Invalid source change: cadence: ${message}`, [{ path: 'cadence', message }]);
}

/**
 * Checks a five-field cron as a schedule's cron is checked (parsed by the scheduling package,
 * its fires expanded within its bounds) and returns its first fire in UTC after `now`.
 */
export function nextCadenceRun(cron: string, now: Date): Date {
  const recurrence = { kind: 'cron' as const, cron, timezone: 'UTC' };
  let next: Date | undefined;
  try {
    checkCron(cron);
    next = nextOccurrence(recurrence, now);
  } catch (error) {
    if (error instanceof RecurrenceLimitError) refuse(error.message);
    refuse(`not a valid cron: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!next) refuse('it never fires');
  const gap = smallestGapSeconds(recurrence);
  if (gap < MIN_GAP_SECONDS) refuse(`fires too often: two of its fires can be ${gap} s apart, and a source runs at most once a minute`);
  return next;
}
