import { type QueueName, type TaskPolicies, taskJobDataSchema } from '@conveyor/contracts';
import type { Logger, TaskMetrics } from '@conveyor/observability';
import type { AbandonedHandlers } from './abandoned-handlers';
import type { TaskLogSink } from './attempt-log';
import { Attempt } from './attempt';
import type { AttemptPlace } from './attempt-place';
import type { TaskHandler } from './handlers';
import type { StopSignal } from './stop-signal';
import type { TaskEventPublisher } from './task-events';
import type { TaskWrites } from './task-writes';
import { withDbRetry } from './with-db-retry';

export interface RunTaskDeps {
  queue: QueueName;
  handlers: Partial<Record<string, TaskHandler<never>>>;
  policies: TaskPolicies;
  logger: Logger;
  metrics?: TaskMetrics;
  events?: TaskEventPublisher;
  /** Every state write of an attempt: its claim, progress and outcome (TaskWorker's default: group commit). */
  writes: TaskWrites;
  /** Milliseconds a state write keeps retrying while Postgres is down. */
  dbRetryMaxMs?: number;
  /** Where ctx.log lines are stored (TaskWorker: Postgres); without it they reach the logger only. */
  taskLogs?: TaskLogSink;
  /** Counts handlers still running after their attempt was abandoned. */
  abandoned?: AbandonedHandlers;
  random?: () => number;
}

/**
 * How one delivery ended. `retry`, `deferred` and `released` tell the BullMQ glue to move the
 * job (delayed by delayMs, or back to wait); every other outcome completes the job.
 */
export type RunOutcome =
  | { kind: 'skipped' }
  | { kind: 'success' }
  | { kind: 'failure' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'deferred'; delayMs: number }
  | { kind: 'released' }
  | { kind: 'revoked' }
  | { kind: 'fenced' };

/**
 * Runs one delivery of a task job: claim by compare-and-set, check the payload against the
 * catalog, run the handler under its time limits, and write the outcome by compare-and-set.
 * Every state is committed in Postgres before this returns, that is, before BullMQ hears
 * anything. `jobSignal` is BullMQ's (or an envelope member's StopLatch): it fires with reason
 * "revoked" or "shutdown". `place`, the attempt's place in its worker, is offered back as soon
 * as the handler is done (AttemptPlace); the caller ends it.
 */
export async function runTaskJob(deps: RunTaskDeps, jobData: unknown, jobSignal?: StopSignal, place?: AttemptPlace): Promise<RunOutcome> {
  const data = taskJobDataSchema.safeParse(jobData);
  if (!data.success) {
    deps.logger.error('dropping a job whose data is not a task reference', { issues: data.error.issues.map((i) => i.message) });
    return { kind: 'skipped' };
  }
  return runTaskAttempt(deps, data.data.task_id, jobSignal, place);
}

/**
 * runTaskJob for a task id already known to be one (an envelope's member, whose ids the
 * envelope's job data gave): the same claim, attempt and outcome, without checking job data.
 */
export async function runTaskAttempt(deps: RunTaskDeps, taskId: string, jobSignal?: StopSignal, place?: AttemptPlace): Promise<RunOutcome> {
  const claim = await withDbRetry(() => deps.writes.claim(taskId), { maxMs: deps.dbRetryMaxMs, logger: deps.logger, what: 'claim' });
  if (!claim) {
    deps.logger.info('job for a finished, revoked or unknown task: not run', { task_id: taskId });
    deps.metrics?.attempts.endedWithout(deps.queue, 'unknown', 'skipped');
    return { kind: 'skipped' };
  }
  return new Attempt(deps, claim, place).run(jobSignal);
}
