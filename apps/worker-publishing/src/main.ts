import { runWorkerApp } from '@conveyor/service';
import { publishingHandlers } from './handlers';
import { publishingDepsFromEnv } from './publishing-from-env';

runWorkerApp({ queue: 'publishing', handlers: async (deps) => publishingHandlers(publishingDepsFromEnv(deps)) });
