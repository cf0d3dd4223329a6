import type { Claim } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import { AttemptLog } from './attempt-log';
import { AttemptOutcomes } from './attempt-outcomes';
import type { AttemptPlace } from './attempt-place';
import { type RunnableTask, preflight } from './attempt-preflight';
import { AttemptSignals } from './attempt-signals';
import type { TaskContext } from './handlers';
import type { RunOutcome, RunTaskDeps } from './run-task-job';
import type { StopSignal } from './stop-signal';

/** One attempt of one task, from its claim to its recorded outcome. */
export class Attempt {
  /**
   * The attempt's logger: every line carries its task, tenant and attempt, and so do the
   * lines its handler writes through its context. (An explicit child logger rather than an
   * AsyncLocalStorage context: on Node 20 that runs a hook for every promise of the process
   * once used; dropping it saved ~10-20 µs of worker CPU per no-op task. docs/decisions.md)
   */
  private readonly log: Logger;
  private readonly outcomes: AttemptOutcomes;
  /** The handler's ctx.log, made the first time the handler reads it (most never do). */
  private taskLog: AttemptLog | undefined;

  constructor(
    private readonly deps: RunTaskDeps,
    private readonly claim: Claim,
    /** Its place in its worker, given back once the handler is done (AttemptPlace). */
    private readonly place?: AttemptPlace,
  ) {
    this.log = deps.logger.child({ task_id: claim.id, tenant_id: claim.tenant_id, attempt: claim.attempt });
    this.outcomes = new AttemptOutcomes(deps, claim, this.log);
  }

  private taskLogFn(): AttemptLog['log'] {
    const { deps, claim } = this;
    this.taskLog ??= new AttemptLog(
      { taskId: claim.id, tenantId: claim.tenant_id, attempt: claim.attempt },
      { sink: deps.taskLogs, events: deps.events, logger: this.log },
    );
    return this.taskLog.log;
  }

  /** Runs the attempt and counts it in the metrics, whatever its outcome. */
  async run(jobSignal?: StopSignal): Promise<RunOutcome> {
    const { deps, claim } = this;
    this.outcomes.publish('STARTED', 0, null);
    deps.metrics?.attempts.started(deps.queue, claim.task);
    const started = performance.now();
    let outcome: RunOutcome = { kind: 'failure' };
    try {
      outcome = await this.execute(jobSignal);
      return outcome;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      deps.metrics?.attempts.ended(deps.queue, claim.task, outcome.kind);
      deps.metrics?.duration.observe({ queue: deps.queue, task: claim.task, outcome: outcome.kind }, seconds);
      this.log.info('attempt ended', { task: claim.task, outcome: outcome.kind, duration_ms: Math.round(seconds * 1000) });
    }
  }

  private async execute(jobSignal?: StopSignal): Promise<RunOutcome> {
    const task = preflight(this.deps, this.claim);
    if ('error' in task) return this.outcomes.fail(task.error);
    const signals = new AttemptSignals(task.policy, jobSignal);
    try {
      return await this.runHandler(task, signals);
    } finally {
      signals.dispose();
    }
  }

  /**
   * Waits for the handler or for an interrupt, whichever comes first. A handler left behind
   * is counted as abandoned until it ends, and a value it returns late is offered anyway.
   */
  private async runHandler(task: RunnableTask, signals: AttemptSignals): Promise<RunOutcome> {
    this.log.info('task started', { task: this.claim.task });
    const handled = task.handler(task.payload as never, this.context(signals)).then(
      (value) => ({ kind: 'value' as const, value }),
      (error: unknown) => ({ kind: 'error' as const, error }),
    );
    const first = await Promise.race([handled, signals.interrupted]);
    // Only writes are left: the place can run the next task's handler meanwhile.
    this.place?.handlerDone();
    // The attempt's lines are stored before its outcome, so a stream's end comes after them.
    if (this.taskLog) await this.taskLog.flush();
    if (first.kind === 'value') return await this.outcomes.succeed(task.definition.result.safeParse(first.value));
    if (first.kind === 'error') return await this.outcomes.afterError(first.error, signals.abortReason, task.policy);
    this.deps.abandoned?.track(handled);
    void handled.then((late) => (late.kind === 'value' ? this.outcomes.offerLateResult(late.value) : undefined));
    return await this.outcomes.afterInterrupt(first, task.policy);
  }

  private context(signals: AttemptSignals): TaskContext {
    const { claim } = this;
    const taskLog = () => this.taskLogFn();
    return {
      taskId: claim.id,
      tenantId: claim.tenant_id,
      attempt: claim.attempt,
      finalAttempt: claim.attempt - claim.lost_attempts >= claim.max_attempts,
      // Made on first use: most handlers never look at it (see AttemptSignals).
      get signal() {
        return signals.signal;
      },
      logger: this.log,
      get log() {
        return taskLog();
      },
      progress: async (percent, message) => {
        const applied = await this.outcomes.progress(percent, message ?? null);
        if (!applied) signals.fence();
      },
    };
  }
}
