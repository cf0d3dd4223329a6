import { createBudgetedInferenceFromEnv } from '@conveyor/cost-tracker';
import { runWorkerApp } from '@conveyor/service';
import { analysisHandlers } from './handlers';

runWorkerApp({ queue: 'analysis', defaultPort: 9402, handlers: async (deps) => analysisHandlers(await createBudgetedInferenceFromEnv(deps.service, deps)) });
