import { llmEnvSchema, loadConfigOrExit } from '@conveyor/config';
import { createBudgetedInference } from '@conveyor/llm';
import { runWorkerApp } from '@conveyor/service';
import { generationHandlers } from './handlers';

runWorkerApp({
  queue: 'generation',
  handlers: async (deps) =>
    generationHandlers({ llm: await createBudgetedInference(loadConfigOrExit(llmEnvSchema, deps.service), deps), db: deps.db, followUps: deps.followUps }),
});
