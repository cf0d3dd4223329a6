export { QueueUnavailableError } from './errors/queue-unavailable-error';
export { createWorkerRedis, createProducerRedis, isRedisUnavailable, checkEvictionPolicy } from './redis';
export { TaskProducer, TASK_JOB_OPTIONS, type EnqueueRequest } from './producer';
export type { TaskContext, TaskHandler, TasksOnQueue, QueueHandlers } from './handlers';
export { runTaskJob, type RunTaskDeps, type RunOutcome } from './run-task-job';
export { TaskWorker, type TaskWorkerOptions } from './task-worker';
export { runWorkerApp, type WorkerAppOptions } from './worker-app';
