import type { Plan } from '@conveyor/db';

/** Spending cap per billing period, in USD. */
export const PLAN_CAPS_USD: Record<Plan, number> = { trial: 5, starter: 15, growth: 40 };

/** Fractions of the cap at which a crossing is logged and counted, once per period. */
export const ALERT_THRESHOLDS_PCT = [50, 80, 100] as const;
