import { runWorkerApp } from '@conveyor/queue';
import { handlers } from './handlers';

runWorkerApp({ queue: 'monitoring', handlers });
