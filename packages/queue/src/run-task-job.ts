import { type QueueName, type TaskError, getTaskDefinition, jobDataSchema } from '@conveyor/contracts';
import { type Claim, type Database, claimTask, completeTask, failTask, recordProgress } from '@conveyor/db';
import { type Logger, type TaskMetrics, redact, withLogContext } from '@conveyor/observability';
import type { Kysely } from 'kysely';
import type { TaskContext, TaskHandler } from './handlers';

export interface RunTaskDeps {
  db: Kysely<Database>;
  queue: QueueName;
  handlers: Partial<Record<string, TaskHandler<never>>>;
  logger: Logger;
  metrics?: TaskMetrics;
}

/**
 * How one delivery ended: `skipped` (finished or unknown task: nothing ran), `success`,
 * `failure`, or `fenced` (the handler finished but a newer attempt owns the task now).
 */
export type RunOutcome = 'skipped' | 'success' | 'failure' | 'fenced';

/** An error's name and message, secrets removed, for the task row. */
function describeError(error: unknown): TaskError {
  const name = typeof error === 'object' && error !== null && typeof (error as Error).name === 'string' ? (error as Error).name : 'Error';
  const message = typeof error === 'object' && error !== null && 'message' in error ? String((error as Error).message) : String(error);
  return { type: name, message: String(redact(message)).slice(0, 2000) };
}

/**
 * Runs one delivery of a task job: claim by compare-and-set, check the payload against the
 * catalog, run the handler, write the outcome by compare-and-set. Every state is committed
 * in Postgres before this returns, that is, before BullMQ hears that the job is done.
 */
export async function runTaskJob(deps: RunTaskDeps, jobData: unknown): Promise<RunOutcome> {
  const data = jobDataSchema.safeParse(jobData);
  if (!data.success) {
    deps.logger.error('dropping a job whose data is not a task reference', { issues: data.error.issues.map((i) => i.message) });
    return 'skipped';
  }
  const claim = await claimTask(deps.db, data.data.task_id);
  if (!claim) {
    deps.logger.info('job for a finished or unknown task: not run again', { task_id: data.data.task_id });
    deps.metrics?.finished.inc({ queue: deps.queue, task: 'unknown', outcome: 'skipped' });
    return 'skipped';
  }
  return withLogContext({ task_id: claim.id, tenant_id: claim.tenant_id, attempt: claim.attempt }, () => runClaimed(deps, claim));
}

async function runClaimed(deps: RunTaskDeps, claim: Claim): Promise<RunOutcome> {
  const { db, logger, metrics, queue } = deps;
  const ref = { id: claim.id, attempt: claim.attempt };
  const labels = { queue, task: claim.task };
  const fail = async (error: TaskError): Promise<RunOutcome> => {
    const applied = await failTask(db, { ...ref, error });
    logger.warn(applied ? 'task failed' : 'task failed, but a newer attempt owns it', { task: claim.task, error });
    return applied ? 'failure' : 'fenced';
  };

  const definition = getTaskDefinition(claim.task);
  const handler = deps.handlers[claim.task];
  if (!definition || definition.queue !== queue || !handler) {
    return fail({ type: 'UnknownTask', message: `no handler for task "${claim.task}" on queue "${queue}"` });
  }
  const payload = definition.payload.safeParse(claim.payload);
  if (!payload.success) {
    return fail({ type: 'InvalidPayload', message: payload.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ') });
  }

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`time limit of ${definition.defaults.timeoutMs} ms reached`)), definition.defaults.timeoutMs);
  const context: TaskContext = {
    taskId: claim.id,
    tenantId: claim.tenant_id,
    attempt: claim.attempt,
    signal: controller.signal,
    logger,
    progress: async (percent, message) => {
      await recordProgress(db, { ...ref, progress: percent, message: message ?? null });
    },
  };

  metrics?.started.inc(labels);
  metrics?.active.inc({ queue });
  const stopTimer = metrics?.duration.startTimer(labels);
  let outcome: RunOutcome = 'failure';
  try {
    logger.info('task started', { task: claim.task });
    const value = await (handler as TaskHandler<never>)(payload.data as never, context);
    const result = definition.result.safeParse(value);
    if (!result.success) {
      outcome = await fail({ type: 'InvalidResult', message: `handler returned a result its contract rejects: ${result.error.issues.map((i) => i.message).join('; ')}` });
    } else {
      const applied = await completeTask(db, { ...ref, result: result.data });
      outcome = applied ? 'success' : 'fenced';
      logger.info(applied ? 'task succeeded' : 'task finished, but a newer attempt owns it: result dropped', { task: claim.task });
    }
  } catch (error) {
    outcome = await fail(describeError(error));
  } finally {
    clearTimeout(timer);
    metrics?.active.dec({ queue });
    stopTimer?.({ outcome });
    metrics?.finished.inc({ ...labels, outcome });
  }
  return outcome;
}
