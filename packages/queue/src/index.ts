export { QueueUnavailableError } from './errors/queue-unavailable-error';
export { classifyError, type Classified } from './classify-error';
export {
  createWorkerRedis,
  createProducerRedis,
  createPipelinedRedis,
  duplicateRedis,
  pingEveryMaster,
  isRedisUnavailable,
  type RedisClient,
  type RedisNode,
} from './redis';
export { checkEvictionPolicy } from './eviction-policy';
export { queuePrefix, queueKey, jobKey } from './queue-keys';
export { readQueueDepth, type QueueState } from './queue-depth';
export { TaskProducer, TASK_JOB_OPTIONS, type EnqueueRequest } from './producer';
export { TaskEventPublisher, taskEventsChannel, cancelChannel } from './task-events';
export type { TaskContext, TaskHandler, TasksOnQueue, QueueHandlers } from './handlers';
export type { TaskLogFn, TaskLogSink } from './attempt-log';
export { runTaskJob, type RunTaskDeps, type RunOutcome } from './run-task-job';
export { withDbRetry } from './with-db-retry';
export { GroupCommitTaskWrites, groupCommitWritesFor, type TaskWrites } from './task-writes';
export { TaskWorker, type TaskWorkerOptions } from './task-worker';
export { reconcileOnce, type ReconcilerDeps, type ReconcileReport } from './reconciler';
export { WatchRegistry, WatchedTasks, watchChannel, watchedKey } from './watched-tasks';
export { FollowUpTasks, type FollowUpTask } from './follow-up-tasks';
export { WorkerRegistration, listWorkers, workersIndexKey, type WorkerEntry, type WorkerRegistrationOptions } from './worker-registry';
