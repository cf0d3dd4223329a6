export { PLAN_CAPS_USD, ALERT_THRESHOLDS_PCT } from './plans';
export { CostTracker, type Reservation, type UsageRecord } from './cost-tracker';
export { UnknownPeriodError } from './billing-periods';
export { ActionLimitReachedError, limitMessage, type PlanActionLimits } from './action-limits';
export type { UsedUpLimit } from './used-up-limit';
export {
  putBudgetAlert,
  getBudgetAlert,
  deleteBudgetAlert,
  listBudgetAlertDeliveries,
  claimDueDeliveries,
  recordDeliveryOutcome,
  type DueDelivery,
  type DeliveryOutcome,
} from './budget-alerts';
