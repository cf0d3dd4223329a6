import { llmEnvSchema, loadConfigOrExit } from '@conveyor/config';
import { createBudgetedInference } from '@conveyor/llm';
import { runWorkerApp } from '@conveyor/service';
import { analysisHandlers } from './handlers';

runWorkerApp({
  queue: 'analysis',
  handlers: async (deps) => analysisHandlers(await createBudgetedInference(loadConfigOrExit(llmEnvSchema, deps.service), deps), deps.db, deps.registry),
});
