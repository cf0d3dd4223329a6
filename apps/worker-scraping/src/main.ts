import { runWorkerApp } from '@conveyor/service';
import { scrapingHandlers } from './handlers';
import { ingestionDepsFromEnv } from './ingestion-from-env';

runWorkerApp({ queue: 'scraping', handlers: async (deps) => scrapingHandlers(await ingestionDepsFromEnv(deps)) });
