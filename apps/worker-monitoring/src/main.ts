import { runWorkerApp } from '@conveyor/service';
import { handlers } from './handlers';

runWorkerApp({ queue: 'monitoring', handlers });
