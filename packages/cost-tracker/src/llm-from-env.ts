import { loadConfigOrExit } from '@conveyor/config';
import type { Database } from '@conveyor/db';
import { createInferenceRouter, priceOverridesSchema, routeOverridesSchema } from '@conveyor/inference';
import type { Logger } from '@conveyor/observability';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { BudgetedInference } from './budgeted-inference';
import { CostTracker } from './cost-tracker';

/** Variables of an app that calls LLMs (worker-analysis, worker-generation). */
export const llmEnvSchema = z.object({
  /** Any OpenAI-compatible endpoint: OpenRouter by default, the simulator in development and tests. */
  OPENROUTER_BASE_URL: z.url().default('https://openrouter.ai/api/v1'),
  OPENROUTER_API_KEY: z.string().min(1, { error: 'is required (npm start runs the simulator and sets it when you have none)' }),
  /** Milliseconds one model call may take before it counts as a timeout and falls back. */
  INFERENCE_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** JSON: task → partial route {model, maxTokens, temperature, fallbacks}. */
  INFERENCE_ROUTES: routeOverridesSchema.default({}),
  /** JSON: model → {prompt, completion} in USD per million tokens. */
  MODEL_PRICES: priceOverridesSchema.default({}),
  /** Check routed models against the provider's list at start (skipped when the list cannot be fetched). */
  VERIFY_MODELS: z.enum(['true', 'false']).default('true'),
  /** Milliseconds after which a crashed worker's budget reservation is freed. */
  BUDGET_RESERVATION_TTL_MS: z.coerce.number().int().positive().default(15 * 60_000),
});

/** The LLM calling stack of a worker: router (checked at start) and cost tracker over the app's Postgres. */
export async function createBudgetedInferenceFromEnv(service: string, deps: { db: Kysely<Database>; logger: Logger; registry: Registry }): Promise<BudgetedInference> {
  const env = loadConfigOrExit(llmEnvSchema, service);
  const router = createInferenceRouter(
    { baseUrl: env.OPENROUTER_BASE_URL, apiKey: env.OPENROUTER_API_KEY, timeoutMs: env.INFERENCE_TIMEOUT_MS, routeOverrides: env.INFERENCE_ROUTES, priceOverrides: env.MODEL_PRICES },
    deps.logger,
  );
  if (env.VERIFY_MODELS === 'true') await router.verifyModels();
  deps.logger.info('inference ready', { base_url: env.OPENROUTER_BASE_URL });
  return new BudgetedInference(router, new CostTracker(deps.db, deps.logger, deps.registry), env.BUDGET_RESERVATION_TTL_MS);
}
