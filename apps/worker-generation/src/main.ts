import { createBudgetedInferenceFromEnv } from '@conveyor/cost-tracker';
import { runWorkerApp } from '@conveyor/queue';
import { generationHandlers } from './handlers';

runWorkerApp({ queue: 'generation', handlers: async (deps) => generationHandlers(await createBudgetedInferenceFromEnv(deps.service, deps), deps.db) });
