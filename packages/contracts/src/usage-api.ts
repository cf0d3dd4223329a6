import { z } from 'zod';
import { LLM_TASKS, PREFLIGHT_PROMPT_TOKENS } from './llm';

// GET /api/v1/usage, GET /api/v1/usage/periods and the budget alert webhook routes: the
// shapes the API answers and @conveyor/client reads (as types), in one place.

export const USAGE_GROUPS = ['day', 'task', 'model', 'campaign'] as const;
export type UsageGroupBy = (typeof USAGE_GROUPS)[number];

const PERIOD_WORDS = ['current', 'previous'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const periodMessage = 'period must be current, previous or a period start date YYYY-MM-DD (GET /api/v1/usage/periods lists them)';

/** A calendar date YYYY-MM-DD that exists (2026-02-30 does not). */
function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** Query of GET /api/v1/usage. */
export const usageQuerySchema = z
  .object({
    group_by: z.enum(USAGE_GROUPS, { error: `group_by must be one of ${USAGE_GROUPS.join(', ')}` }).optional(),
    period: z
      .string({ error: periodMessage })
      .refine((text) => (PERIOD_WORDS as readonly string[]).includes(text) || isCalendarDate(text), periodMessage)
      .optional(),
  })
  .strict();
export type UsageQuery = z.infer<typeof usageQuerySchema>;

/** One group of a period's usage: a day (YYYY-MM-DD, UTC), a task, a model or a campaign ("none" for calls without one). */
export const usageGroupSchema = z.object({
  key: z.string(),
  calls: z.number().int(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  cost_usd: z.number(),
});
export type UsageGroup = z.infer<typeof usageGroupSchema>;

/** GET /api/v1/usage: one billing period's LLM spend; `groups` only when group_by was given. */
export const usageViewSchema = z.object({
  plan: z.string(),
  period_start: z.iso.datetime(),
  period_end: z.iso.datetime(),
  cap_usd: z.number(),
  spent_usd: z.number(),
  reserved_usd: z.number(),
  remaining_usd: z.number(),
  by_action: z.array(z.object({ action_type: z.string(), calls: z.number().int(), cost_usd: z.number() })),
  groups: z.array(usageGroupSchema).optional(),
});
export type UsageView = z.infer<typeof usageViewSchema>;

/** GET /api/v1/usage/periods: the tenant's billing periods, newest first. */
export const usagePeriodsViewSchema = z.object({
  periods: z.array(z.object({ period_start: z.iso.datetime(), period_end: z.iso.datetime(), spent_usd: z.number(), calls: z.number().int() })),
});
export type UsagePeriodsView = z.infer<typeof usagePeriodsViewSchema>;

const checkTaskMessage = `task must be one of the tasks that call a model: ${LLM_TASKS.join(', ')}`;

/** Query of GET /api/v1/usage/check. */
export const usageCheckQuerySchema = z
  .object({
    task: z.enum(LLM_TASKS, { error: checkTaskMessage }).meta({ description: 'An LLM task of the catalog' }),
  })
  .strict();
export type UsageCheckQuery = z.infer<typeof usageCheckQuerySchema>;

/**
 * GET /api/v1/usage/check: whether one more call of the task fits this period, at the worst case
 * its reservation may take (its prompt unknown, a prompt of PREFLIGHT_PROMPT_TOKENS is assumed).
 */
export const usageCheckViewSchema = z.object({
  task: z.string(),
  fits: z.boolean().meta({ description: "One more call fits both the remaining budget and the plan's per-action limit" }),
  worst_case_usd: z.number().meta({
    description: `The most one call may reserve: a ${PREFLIGHT_PROMPT_TOKENS}-token prompt plus the route's max_tokens at the dearest model of its chain, doubled for a structured answer (its repair round)`,
  }),
  remaining_usd: z.number().meta({ description: 'The cap less spent and reserved, this period' }),
  calls_that_fit: z
    .number()
    .int()
    .nullable()
    .meta({ description: 'How many such calls fit the budget and the limit now; null when neither bounds them (a model priced at zero, no limit)' }),
  limit: z
    .object({
      plan: z.string(),
      calls_per_period: z.number().int(),
      used: z.number().int().meta({ description: 'Calls of the task this period: settled and in flight' }),
      remaining: z.number().int(),
    })
    .optional()
    .meta({ description: "The plan's per-action limit (PLAN_ACTION_LIMITS), when it has one for this task" }),
  reason: z.string().optional().meta({ description: 'Why it does not fit, when it does not' }),
});
export type UsageCheckView = z.infer<typeof usageCheckViewSchema>;

/** The percentages of the cap an alert goes out at when the body names none. */
export const DEFAULT_BUDGET_ALERT_THRESHOLDS = [50, 80, 100];

/** Body of PUT /api/v1/budget-alerts. Spend never passes the cap, so a threshold is 1 to 100. */
export const putBudgetAlertBodySchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: 'url must be an http or https URL, e.g. https://hooks.example.com/conveyor' })
      .max(2048, 'url may be at most 2048 characters'),
    thresholds: z
      .array(z.number({ error: 'each threshold is a whole percentage of the cap' }).int('each threshold is a whole percentage of the cap').min(1).max(100), {
        error: 'thresholds must be an array of percentages of the cap, e.g. [50, 80, 100]',
      })
      .min(1, 'thresholds needs at least one percentage (leave it out for 50, 80, 100)')
      .max(10, 'at most 10 thresholds')
      .refine((list) => new Set(list).size === list.length, 'thresholds must not repeat a percentage')
      .optional(),
  })
  .strict();
export type PutBudgetAlertBody = z.infer<typeof putBudgetAlertBodySchema>;

/** GET /api/v1/budget-alerts; PUT answers it with `secret`, the HMAC-SHA256 key, shown that once. */
export const budgetAlertViewSchema = z.object({
  url: z.string(),
  thresholds: z.array(z.number().int()),
  created_at: z.iso.datetime(),
  secret: z.string().optional(),
});
export type BudgetAlertView = z.infer<typeof budgetAlertViewSchema>;

export const BUDGET_ALERT_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

/** GET /api/v1/budget-alerts/deliveries: newest period first, thresholds ascending. */
export const budgetAlertDeliveriesViewSchema = z.object({
  deliveries: z.array(
    z.object({
      period_start: z.iso.datetime(),
      threshold: z.number().int(),
      status: z.enum(BUDGET_ALERT_DELIVERY_STATUSES),
      attempts: z.number().int(),
      last_error: z.string().nullable(),
      delivered_at: z.iso.datetime().nullable(),
    }),
  ),
});
export type BudgetAlertDeliveriesView = z.infer<typeof budgetAlertDeliveriesViewSchema>;

/** The body a budget alert webhook receives (signed: X-Conveyor-Signature). */
export interface BudgetAlertEvent {
  type: 'budget.threshold_crossed';
  tenant_id: string;
  period_start: string;
  threshold: number;
  cap_usd: number;
  spent_usd: number;
  sent_at: string;
}
