import { createBudgetedInferenceFromEnv } from '@conveyor/cost-tracker';
import { runWorkerApp } from '@conveyor/queue';
import { analysisHandlers } from './handlers';

runWorkerApp({ queue: 'analysis', handlers: async (deps) => analysisHandlers(await createBudgetedInferenceFromEnv(deps.service, deps)) });
