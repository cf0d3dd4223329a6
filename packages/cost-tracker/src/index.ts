export { PLAN_CAPS_USD, ALERT_THRESHOLDS_PCT } from './plans';
export { CostTracker, type Reservation, type UsageRecord, type UsageSummary } from './cost-tracker';
