import { AttemptFencedError, HardTimeLimitError, type QueueName, SoftTimeLimitError, type TaskError, type TaskPolicies, TaskRevokedError, type TaskStatus, WorkerShutdownError, backoffDelayMs, getTaskDefinition, jobDataSchema } from '@conveyor/contracts';
import { type AttemptRef, type Claim, type Database, failTask, releaseTask, scheduleRetry } from '@conveyor/db';
import type { Logger, TaskMetrics } from '@conveyor/observability';
import type { Kysely } from 'kysely';
import type { AbandonedHandlers } from './abandoned-handlers';
import { classifyError } from './classify-error';
import type { TaskContext, TaskHandler } from './handlers';
import type { TaskEventPublisher } from './task-events';
import { type TaskWrites, groupCommitWritesFor } from './task-writes';
import { withDbRetry } from './with-db-retry';

export interface RunTaskDeps {
  db: Kysely<Database>;
  queue: QueueName;
  handlers: Partial<Record<string, TaskHandler<never>>>;
  policies: TaskPolicies;
  logger: Logger;
  metrics?: TaskMetrics;
  events?: TaskEventPublisher;
  /** How claims, progress and results are written; by default group commit on db. */
  writes?: TaskWrites;
  /** Milliseconds a state write keeps retrying while Postgres is down. */
  dbRetryMaxMs?: number;
  /** Counts handlers still running after their attempt was abandoned. */
  abandoned?: AbandonedHandlers;
  random?: () => number;
}

/**
 * How one delivery ended. `retry` and `released` tell the BullMQ glue to move the job
 * (delayed by delayMs, or back to wait); every other outcome completes the job.
 */
export type RunOutcome =
  | { kind: 'skipped' }
  | { kind: 'success' }
  | { kind: 'failure' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'released' }
  | { kind: 'revoked' }
  | { kind: 'fenced' };

/** Why a running attempt stopped waiting for its handler. */
type Interrupt = { kind: 'hard-limit'; error: HardTimeLimitError } | { kind: 'revoked' } | { kind: 'shutdown' } | { kind: 'fenced' };

/**
 * Runs one delivery of a task job: claim by compare-and-set, check the payload against the
 * catalog, run the handler under its time limits, and write the outcome by compare-and-set.
 * Every state is committed in Postgres before this returns, that is, before BullMQ hears
 * anything. `jobSignal` is BullMQ's: it fires with reason "revoked" or "shutdown".
 */
export async function runTaskJob(deps: RunTaskDeps, jobData: unknown, jobSignal?: AbortSignal): Promise<RunOutcome> {
  const data = jobDataSchema.safeParse(jobData);
  if (!data.success) {
    deps.logger.error('dropping a job whose data is not a task reference', { issues: data.error.issues.map((i) => i.message) });
    return { kind: 'skipped' };
  }
  const writes = deps.writes ?? groupCommitWritesFor(deps.db);
  const claim = await write(deps, deps.logger, 'claim', () => writes.claim(data.data.task_id));
  if (!claim) {
    deps.logger.info('job for a finished, revoked or unknown task: not run', { task_id: data.data.task_id });
    deps.metrics?.finished.inc({ queue: deps.queue, task: 'unknown', outcome: 'skipped' });
    return { kind: 'skipped' };
  }
  return new Attempt(deps, writes, claim).run(jobSignal);
}

function write<T>(deps: RunTaskDeps, logger: Logger, what: string, fn: () => Promise<T>): Promise<T> {
  return withDbRetry(fn, { maxMs: deps.dbRetryMaxMs ?? 60_000, logger, what });
}

/** One attempt of one task, from its claim to its recorded outcome. */
class Attempt {
  private readonly ref: AttemptRef;
  private readonly labels: { queue: string; task: string };
  /**
   * The attempt's logger: every line carries its task, tenant and attempt, and so do the
   * lines its handler writes through its context. (An explicit child logger rather than an
   * AsyncLocalStorage context: on Node 20 that runs a hook for every promise of the process
   * once used; dropping it saved ~10-20 µs of worker CPU per no-op task. docs/decisions.md)
   */
  private readonly log: Logger;

  constructor(
    private readonly deps: RunTaskDeps,
    private readonly writes: TaskWrites,
    private readonly claim: Claim,
  ) {
    this.ref = { id: claim.id, attempt: claim.attempt };
    this.log = deps.logger.child({ task_id: claim.id, tenant_id: claim.tenant_id, attempt: claim.attempt });
    this.labels = { queue: deps.queue, task: claim.task };
  }

  async run(jobSignal?: AbortSignal): Promise<RunOutcome> {
    const { deps, claim } = this;
    this.publish('STARTED', 0, null);
    deps.metrics?.started.inc(this.labels);
    deps.metrics?.active.inc({ queue: deps.queue });
    const started = performance.now();
    let outcome: RunOutcome = { kind: 'failure' };
    try {
      outcome = await this.execute(jobSignal);
      return outcome;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      deps.metrics?.active.dec({ queue: deps.queue });
      deps.metrics?.duration.observe({ ...this.labels, outcome: outcome.kind }, seconds);
      deps.metrics?.finished.inc({ ...this.labels, outcome: outcome.kind });
      this.log.info('attempt ended', { task: claim.task, outcome: outcome.kind, duration_ms: Math.round(seconds * 1000) });
    }
  }

  private async execute(jobSignal?: AbortSignal): Promise<RunOutcome> {
    const { deps, claim } = this;
    const definition = getTaskDefinition(claim.task);
    const handler = deps.handlers[claim.task];
    if (!definition || definition.queue !== deps.queue || !handler) {
      return this.fail({ type: 'UnknownTask', message: `no handler for task "${claim.task}" on queue "${deps.queue}"` });
    }
    const policy = deps.policies.get(claim.task);
    // Attempts lost with their worker have their own limit: a task that keeps killing its
    // worker ends here; one that was only caught in another's crash runs again.
    if (claim.lost_attempts >= policy.maxLostAttempts) {
      return this.fail({ type: 'AttemptsExhausted', message: `its worker stopped (crashed or stalled) while running it ${claim.lost_attempts} times; a task that keeps killing its worker is not run again` });
    }
    const payload = definition.payload.safeParse(claim.payload);
    if (!payload.success) {
      return this.fail({ type: 'InvalidPayload', message: payload.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ') });
    }

    const controller = new AbortController();
    let interrupt!: (why: Interrupt) => void;
    const interrupted = new Promise<Interrupt>((resolve) => (interrupt = resolve));
    const onJobSignal = () => {
      const why: Interrupt = jobSignal?.reason === 'revoked' ? { kind: 'revoked' } : { kind: 'shutdown' };
      controller.abort(why.kind === 'revoked' ? new TaskRevokedError() : new WorkerShutdownError());
      interrupt(why);
    };
    if (jobSignal?.aborted) onJobSignal();
    jobSignal?.addEventListener('abort', onJobSignal, { once: true });
    const softTimer = setTimeout(() => controller.abort(new SoftTimeLimitError(policy.softTimeoutMs)), policy.softTimeoutMs);
    const hardTimer = setTimeout(() => {
      const error = new HardTimeLimitError(policy.hardTimeoutMs);
      controller.abort(error);
      interrupt({ kind: 'hard-limit', error });
    }, policy.hardTimeoutMs);

    const context: TaskContext = {
      taskId: claim.id,
      tenantId: claim.tenant_id,
      attempt: claim.attempt,
      signal: controller.signal,
      logger: this.log,
      progress: async (percent, message) => {
        const applied = await write(deps, this.log, 'progress', () => this.writes.progress({ ...this.ref, progress: percent, message: message ?? null }));
        if (applied) {
          this.publish('PROGRESS', percent, message ?? null);
        } else if (!controller.signal.aborted) {
          // Revoked, or a newer attempt took over: stop the handler wasting work.
          controller.abort(new AttemptFencedError());
          interrupt({ kind: 'fenced' });
        }
      },
    };

    this.log.info('task started', { task: claim.task });
    const handled = (handler as TaskHandler<never>)(payload.data as never, context).then(
      (value) => ({ kind: 'value' as const, value }),
      (error: unknown) => ({ kind: 'error' as const, error }),
    );
    try {
      const first = await Promise.race([handled, interrupted]);
      if (first.kind === 'value') return await this.succeed(definition.result.safeParse(first.value));
      if (first.kind === 'error') {
        // An abort the handler surfaced is reported as its cause (soft limit, revoke...).
        const reason = controller.signal.aborted ? controller.signal.reason : undefined;
        if (reason instanceof TaskRevokedError) return this.revoked();
        if (reason instanceof WorkerShutdownError) return this.release();
        if (reason instanceof AttemptFencedError) return this.fenced();
        return this.failOrRetry(reason instanceof SoftTimeLimitError ? reason : first.error, policy);
      }
      deps.abandoned?.track(handled);
      void handled.then((late) => (late.kind === 'value' ? this.offerLateResult(late.value) : undefined));
      if (first.kind === 'hard-limit') return this.failOrRetry(first.error, policy);
      if (first.kind === 'revoked') return this.revoked();
      if (first.kind === 'shutdown') return this.release();
      return this.fenced();
    } finally {
      clearTimeout(softTimer);
      clearTimeout(hardTimer);
      jobSignal?.removeEventListener('abort', onJobSignal);
    }
  }

  private async succeed(result: { success: true; data: unknown } | { success: false; error: { issues: { message: string }[] } }): Promise<RunOutcome> {
    const { deps, claim } = this;
    if (!result.success) {
      return this.fail({ type: 'InvalidResult', message: `handler returned a result its contract rejects: ${result.error.issues.map((i) => i.message).join('; ')}` });
    }
    const retentionMs = deps.policies.get(claim.task).retentionMs;
    const applied = await write(deps, this.log, 'complete', () => this.writes.complete({ ...this.ref, result: result.data, retentionMs }));
    if (!applied) return this.fenced();
    this.publish('SUCCESS', 100, 'Task completed');
    return { kind: 'success' };
  }

  /**
   * A handler abandoned at its hard limit (or by a revoke, a fence, a shutdown) may still
   * return. Its result goes to the same compare-and-set as any other, which refuses it: the
   * attempt no longer owns the task. Postgres, not this process, keeps it from overwriting.
   */
  private async offerLateResult(value: unknown): Promise<void> {
    const { deps, claim } = this;
    try {
      const retentionMs = deps.policies.get(claim.task).retentionMs;
      const applied = await this.writes.complete({ ...this.ref, result: value ?? null, retentionMs });
      if (applied) this.log.error('a late result of an abandoned attempt was written; the compare-and-set should have refused it', { task: claim.task });
      else this.log.warn('a result arrived after its attempt was abandoned; the compare-and-set refused it', { task: claim.task });
    } catch (error) {
      this.log.warn('a result arrived after its attempt was abandoned; not written', { task: claim.task, error });
    }
  }

  private async failOrRetry(error: unknown, policy: ReturnType<TaskPolicies['get']>): Promise<RunOutcome> {
    const { deps, claim } = this;
    const classified = classifyError(error);
    // Lost attempts are not the task's own: they do not use up its attempts.
    const used = claim.attempt - claim.lost_attempts;
    if (classified.kind === 'permanent' || used >= claim.max_attempts) return this.fail(classified.error);
    const delayMs = classified.retryAfterMs ?? backoffDelayMs(policy, claim.attempt, deps.random);
    const applied = await write(deps, this.log, 'retry', () => scheduleRetry(deps.db, { ...this.ref, error: classified.error, nextAttemptInMs: delayMs }));
    if (!applied) return this.fenced();
    this.log.warn('attempt failed; retrying', { task: claim.task, error: classified.error, delay_ms: delayMs });
    this.publish('RETRY', 0, `Attempt ${claim.attempt} failed: ${classified.error.message}`);
    return { kind: 'retry', delayMs };
  }

  private async fail(error: TaskError): Promise<RunOutcome> {
    const { deps, claim } = this;
    const retentionMs = getTaskDefinition(claim.task) ? deps.policies.get(claim.task).retentionMs : 24 * 3_600_000;
    const applied = await write(deps, this.log, 'fail', () => failTask(deps.db, { ...this.ref, error, retentionMs }));
    if (!applied) return this.fenced();
    this.log.warn('task failed', { task: claim.task, error });
    this.publish('FAILURE', 0, error.message);
    return { kind: 'failure' };
  }

  private async release(): Promise<RunOutcome> {
    const applied = await write(this.deps, this.log, 'release', () => releaseTask(this.deps.db, this.ref));
    if (!applied) return this.fenced();
    this.publish('RETRY', 0, 'Released by a worker shutting down');
    return { kind: 'released' };
  }

  // The revoke (or the newer attempt's claim) has already ended this attempt in the task's
  // attempt_history; there is nothing left to write.
  private revoked(): RunOutcome {
    this.log.info('task revoked while running; handler aborted', { task: this.claim.task });
    return { kind: 'revoked' };
  }

  private fenced(): RunOutcome {
    this.log.info('attempt no longer owns its task; its outcome was not written', { task: this.claim.task });
    return { kind: 'fenced' };
  }

  private publish(status: TaskStatus, progress: number, message: string | null): void {
    this.deps.events?.publish({ task_id: this.claim.id, status, progress: Math.max(0, Math.min(100, Math.round(progress))), message, attempts: this.claim.attempt });
  }
}
