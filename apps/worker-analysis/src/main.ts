import { runWorkerApp } from '@conveyor/queue';

// The analysis queue has no tasks in the catalog yet; the worker runs, consumes its queue
// and reports health, and gains handlers as its tasks are added to the catalog.
runWorkerApp({ queue: 'analysis', handlers: {}, defaultPort: 9402 });
