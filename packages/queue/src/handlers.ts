import type { QueueName, TASK_CATALOG, TaskName, TaskPayload, TaskResult } from '@conveyor/contracts';
import type { Logger } from '@conveyor/observability';
import type { TaskLogFn } from './attempt-log';

/** What a handler gets besides its payload. */
export interface TaskContext {
  taskId: string;
  tenantId: string;
  attempt: number;
  /**
   * True when a transient failure of this attempt fails the task for good (its attempts are
   * spent): a handler that keeps state of its own (a post's status) records the failure there.
   */
  finalAttempt: boolean;
  /** Fires when the attempt must stop (time limit, shutdown); handlers pass it to their I/O. */
  signal: AbortSignal;
  logger: Logger;
  /** Records progress (0-100) and an optional message; a stale attempt's report is ignored. */
  progress: (percent: number, message?: string) => Promise<void>;
  /**
   * A line for the task's own log (GET /tasks/{id}/logs, `log` live events) and the worker's:
   * capped, redacted, stored in batches. Returns at once; say what a user wants to know
   * (a step, the model chosen, tokens and cost), not every detail.
   */
  log: TaskLogFn;
}

export type TaskHandler<N extends TaskName> = (payload: TaskPayload<N>, ctx: TaskContext) => Promise<TaskResult<N>>;

/** The catalog's task names that run on queue Q. */
export type TasksOnQueue<Q extends QueueName> = {
  [N in TaskName]: (typeof TASK_CATALOG)[N]['queue'] extends Q ? N : never;
}[TaskName];

/** A worker app's handlers: exactly one for each task of its queue, checked by the compiler. */
export type QueueHandlers<Q extends QueueName> = { [N in TasksOnQueue<Q>]: TaskHandler<N> };
