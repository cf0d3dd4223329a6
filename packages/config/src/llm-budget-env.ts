import { LLM_TASKS, jsonText, priceOverridesSchema, routeOverridesSchema } from '@conveyor/contracts';
import { z } from 'zod';

const PLANS = ['trial', 'starter', 'growth'] as const;

/** One plan's limits: LLM task (action) → calls per billing period. */
const actionLimits = z.record(z.string(), z.number().int().min(0).max(1_000_000_000)).superRefine((limits, ctx) => {
  for (const action of Object.keys(limits)) {
    if (!(LLM_TASKS as readonly string[]).includes(action)) {
      ctx.addIssue({ code: 'custom', path: [action], message: `"${action}" is not an LLM task; limits apply to ${LLM_TASKS.join(', ')}` });
    }
  }
});

/** PLAN_ACTION_LIMITS: plan → LLM task → calls allowed per billing period. */
const planActionLimitsSchema = jsonText(
  z
    .object(Object.fromEntries(PLANS.map((plan) => [plan, actionLimits])) as Record<(typeof PLANS)[number], typeof actionLimits>)
    .partial()
    .strict(),
  '{"trial":{"generate_draft":100}}',
);

/**
 * How an LLM call is priced and limited: read by the LLM workers (which reserve the call) and by
 * the API (whose GET /usage/check answers whether one more would fit), so both see the same
 * routes, prices and limits. Give every one of those apps the same values.
 */
export const llmBudgetEnvSchema = z.object({
  /** JSON: task → partial route {model, maxTokens, temperature, fallbacks}. */
  INFERENCE_ROUTES: routeOverridesSchema.default({}),
  /** JSON: model → {prompt, completion} in USD per million tokens. */
  MODEL_PRICES: priceOverridesSchema.default({}),
  /**
   * JSON: plan → LLM task → calls allowed per billing period, e.g. {"trial":{"generate_draft":100}};
   * counted by the budget reservation (settled and held calls). None by default.
   */
  PLAN_ACTION_LIMITS: planActionLimitsSchema.default({}),
});
