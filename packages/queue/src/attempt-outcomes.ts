import { AttemptFencedError, SoftTimeLimitError, TaskRevokedError, WorkerShutdownError } from '@conveyor/contracts';
import { type TaskError, type TaskPolicy, type TaskStatus, backoffDelayMs, getTaskDefinition } from '@conveyor/contracts';
import type { AttemptRef, Claim } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { Interrupt } from './attempt-signals';
import { classifyError } from './classify-error';
import type { RunOutcome, RunTaskDeps } from './run-task-job';
import { withDbRetry } from './with-db-retry';

/** A handler's value as its task's result contract judged it. */
type CheckedResult = { success: true; data: unknown } | { success: false; error: { issues: { message: string }[] } };

/**
 * How the ways an attempt ends become state writes (through deps.writes, retried while
 * Postgres is down) and task events. Every write is a compare-and-set on the attempt: one
 * refused means the attempt no longer owns its task, and it ends as fenced instead.
 */
export class AttemptOutcomes {
  private readonly ref: AttemptRef;

  constructor(
    private readonly deps: RunTaskDeps,
    private readonly claim: Claim,
    private readonly log: Logger,
  ) {
    this.ref = { id: claim.id, attempt: claim.attempt };
  }

  /** Records the handler's progress; false when refused (revoked, or a newer attempt took over). */
  async progress(percent: number, message: string | null): Promise<boolean> {
    const applied = await this.write('progress', () => this.deps.writes.progress({ ...this.ref, progress: percent, message }));
    if (applied) this.publish('PROGRESS', percent, message);
    return applied;
  }

  async succeed(result: CheckedResult): Promise<RunOutcome> {
    if (!result.success) {
      return this.fail({
        type: 'InvalidResult',
        message: `handler returned a result its contract rejects: ${result.error.issues.map((i) => i.message).join('; ')}`,
      });
    }
    const retentionMs = this.deps.policies.get(this.claim.task).retentionMs;
    const applied = await this.write('complete', () => this.deps.writes.complete({ ...this.ref, result: result.data, retentionMs }));
    if (!applied) return this.fenced();
    this.publish('SUCCESS', 100, 'Task completed');
    return { kind: 'success' };
  }

  /** The handler threw. An abort it surfaced is reported as its cause (soft limit, revoke...). */
  afterError(error: unknown, abortReason: unknown, policy: TaskPolicy): Promise<RunOutcome> | RunOutcome {
    if (abortReason instanceof TaskRevokedError) return this.revoked();
    if (abortReason instanceof WorkerShutdownError) return this.release();
    if (abortReason instanceof AttemptFencedError) return this.fenced();
    return this.failOrRetry(abortReason instanceof SoftTimeLimitError ? abortReason : error, policy);
  }

  /** The attempt stopped waiting for its handler, which may still be running. */
  afterInterrupt(why: Interrupt, policy: TaskPolicy): Promise<RunOutcome> | RunOutcome {
    if (why.kind === 'hard-limit') return this.failOrRetry(why.error, policy);
    if (why.kind === 'revoked') return this.revoked();
    if (why.kind === 'shutdown') return this.release();
    return this.fenced();
  }

  /**
   * A handler abandoned at its hard limit (or by a revoke, a fence, a shutdown) may still
   * return. Its result goes to the same compare-and-set as any other, which refuses it: the
   * attempt no longer owns the task. Postgres, not this process, keeps it from overwriting.
   */
  async offerLateResult(value: unknown): Promise<void> {
    const task = this.claim.task;
    try {
      const retentionMs = this.deps.policies.get(task).retentionMs;
      const applied = await this.deps.writes.complete({ ...this.ref, result: value ?? null, retentionMs });
      if (applied) this.log.error('a late result of an abandoned attempt was written; the compare-and-set should have refused it', { task });
      else this.log.warn('a result arrived after its attempt was abandoned; the compare-and-set refused it', { task });
    } catch (error) {
      this.log.warn('a result arrived after its attempt was abandoned; not written', { task, error });
    }
  }

  async failOrRetry(error: unknown, policy: TaskPolicy): Promise<RunOutcome> {
    const { claim } = this;
    const classified = classifyError(error);
    if (classified.kind === 'deferred') return this.defer(classified.error.message, classified.retryAfterMs ?? 0);
    // Lost attempts are not the task's own: they do not use up its attempts.
    const used = claim.attempt - claim.lost_attempts;
    if (classified.kind === 'permanent' || used >= claim.max_attempts) return this.fail(classified.error);
    const delayMs = classified.retryAfterMs ?? backoffDelayMs(policy, claim.attempt, this.deps.random);
    const applied = await this.write('retry', () => this.deps.writes.retry({ ...this.ref, error: classified.error, nextAttemptInMs: delayMs }));
    if (!applied) return this.fenced();
    this.log.warn('attempt failed; retrying', { task: claim.task, error: classified.error, delay_ms: delayMs });
    this.publish('RETRY', 0, `Attempt ${claim.attempt} failed: ${classified.error.message}`);
    return { kind: 'retry', delayMs };
  }

  async fail(error: TaskError): Promise<RunOutcome> {
    const { claim } = this;
    const retentionMs = getTaskDefinition(claim.task) ? this.deps.policies.get(claim.task).retentionMs : 24 * 3_600_000;
    const applied = await this.write('fail', () => this.deps.writes.fail({ ...this.ref, error, retentionMs }));
    if (!applied) return this.fenced();
    // The same statement filed the dead letter.
    this.deps.metrics?.deadLetters.inc({ queue: this.deps.queue, task: claim.task });
    this.log.warn('task failed', { task: claim.task, error });
    this.publish('FAILURE', 0, error.message);
    return { kind: 'failure' };
  }

  /** Puts the task off for delayMs without spending an attempt (DeferTaskError). */
  async defer(reason: string, delayMs: number): Promise<RunOutcome> {
    const applied = await this.write('defer', () => this.deps.writes.defer({ ...this.ref, reason, delayMs }));
    if (!applied) return this.fenced();
    this.log.info('task deferred; no attempt spent', { task: this.claim.task, reason, delay_ms: delayMs });
    this.publish('RETRY', 0, `Deferred for ${Math.ceil(delayMs / 1000)} s, no attempt spent: ${reason}`);
    return { kind: 'deferred', delayMs };
  }

  async release(): Promise<RunOutcome> {
    const applied = await this.write('release', () => this.deps.writes.release(this.ref));
    if (!applied) return this.fenced();
    this.publish('RETRY', 0, 'Released by a worker shutting down');
    return { kind: 'released' };
  }

  // The revoke (or the newer attempt's claim) has already ended this attempt in the task's
  // attempt_history; there is nothing left to write.
  revoked(): RunOutcome {
    this.log.info('task revoked while running; handler aborted', { task: this.claim.task });
    return { kind: 'revoked' };
  }

  fenced(): RunOutcome {
    this.log.info('attempt no longer owns its task; its outcome was not written', { task: this.claim.task });
    return { kind: 'fenced' };
  }

  publish(status: TaskStatus, progress: number, message: string | null): void {
    this.deps.events?.publish({
      task_id: this.claim.id,
      status,
      progress: Math.max(0, Math.min(100, Math.round(progress))),
      message,
      attempts: this.claim.attempt,
    });
  }

  private write<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withDbRetry(fn, { maxMs: this.deps.dbRetryMaxMs, logger: this.log, what });
  }
}
