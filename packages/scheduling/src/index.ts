export { isValidTimeZone, toWallTime, fromWallTime } from './zoned-time';
export { YEAR_MIN, YEAR_MAX, RecurrenceLimitError } from './limits';
export { parseLocalDateTime, yearRangeProblem } from './local-date';
export { checkCron } from './cron-rule';
export { type Recurrence, checkRrule, forEachOccurrence, nextOccurrence, nextOccurrences, occurrencesBefore, recurrenceFromFields } from './recurrence';
export { smallestGapSeconds } from './min-gap';
export { type PlanName, MIN_INTERVAL_SECONDS, keepPlanInterval } from './plans';
export { type MisfirePolicy, type FirePlan, MISFIRE_GRACE_MS, FIRE_ALL_CAP, planFires } from './misfire';
export { FirePlanner } from './plan-memo';
