export { PLAN_CAPS_USD, ALERT_THRESHOLDS_PCT } from './plans';
export { CostTracker, type Reservation, type UsageRecord } from './cost-tracker';
export { UnknownPeriodError } from './billing-periods';
export { ActionLimitReachedError, type PlanActionLimits } from './action-limits';
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
