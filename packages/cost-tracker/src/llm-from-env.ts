import { llmEnvSchema, loadConfigOrExit } from '@conveyor/config';
import type { Database } from '@conveyor/db';
import { createInferenceRouter } from '@conveyor/inference';
import type { Logger } from '@conveyor/observability';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { BudgetedInference } from './budgeted-inference';
import { CostTracker } from './cost-tracker';

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
