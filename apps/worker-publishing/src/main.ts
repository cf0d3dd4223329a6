import { runWorkerApp } from '@conveyor/service';

// The publishing queue has no tasks in the catalog yet; the worker runs, consumes its queue
// and reports health, and gains handlers as its tasks are added to the catalog.
runWorkerApp({ queue: 'publishing', handlers: {} });
