export { isValidTimeZone, toWallTime, fromWallTime } from './zoned-time';
export { type Recurrence, parseLocalDateTime, checkCron, checkRrule, nextOccurrence, nextOccurrences, recurrenceFromFields } from './recurrence';
export { type MisfirePolicy, type FirePlan, MISFIRE_GRACE_MS, FIRE_ALL_CAP, planFires } from './misfire';
