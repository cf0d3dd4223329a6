import { createBudgetedInferenceFromEnv } from '@conveyor/cost-tracker';
import { runWorkerApp } from '@conveyor/service';
import { generationHandlers } from './handlers';

runWorkerApp({ queue: 'generation', defaultPort: 9403, handlers: async (deps) => generationHandlers(await createBudgetedInferenceFromEnv(deps.service, deps), deps.db) });
