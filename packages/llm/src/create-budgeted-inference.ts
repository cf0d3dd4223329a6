import type { LlmEnv } from '@conveyor/config';
import { CostTracker } from '@conveyor/cost-tracker';
import type { Database } from '@conveyor/db';
import { createInferenceRouter } from '@conveyor/inference';
import type { Logger } from '@conveyor/observability';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { BudgetedInference } from './budgeted-inference';

/**
 * The LLM calling stack of a worker, from the LLM config its app has loaded: the router
 * (its models checked against the provider at start unless VERIFY_MODELS=false) and the
 * budget ledger over the app's Postgres. Throws when a routed model is missing; the app's
 * startup turns that into its exit.
 */
export async function createBudgetedInference(env: LlmEnv, deps: { db: Kysely<Database>; logger: Logger; registry?: Registry }): Promise<BudgetedInference> {
  const router = createInferenceRouter(
    {
      baseUrl: env.OPENROUTER_BASE_URL,
      apiKey: env.OPENROUTER_API_KEY,
      timeoutMs: env.INFERENCE_TIMEOUT_MS,
      routeOverrides: env.INFERENCE_ROUTES,
      priceOverrides: env.MODEL_PRICES,
      attribution: { referer: env.OPENROUTER_REFERER, title: env.OPENROUTER_TITLE },
    },
    deps.logger,
  );
  if (env.VERIFY_MODELS === 'true') await router.verifyModels();
  deps.logger.info('inference ready', { base_url: env.OPENROUTER_BASE_URL, referer: env.OPENROUTER_REFERER ?? null, title: env.OPENROUTER_TITLE });
  return new BudgetedInference(router, new CostTracker(deps.db, deps.logger, deps.registry, undefined, env.PLAN_ACTION_LIMITS), env.BUDGET_RESERVATION_TTL_MS);
}
