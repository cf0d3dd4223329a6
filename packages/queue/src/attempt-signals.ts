import { AttemptFencedError, HardTimeLimitError, SoftTimeLimitError, TaskRevokedError, WorkerShutdownError } from '@conveyor/contracts';
import type { TaskPolicy } from '@conveyor/contracts';

/** Why a running attempt stopped waiting for its handler. */
export type Interrupt = { kind: 'hard-limit'; error: HardTimeLimitError } | { kind: 'revoked' } | { kind: 'shutdown' } | { kind: 'fenced' };

/**
 * What can stop a running attempt: its soft and hard time limits, a revoke or a shutdown
 * (BullMQ's job signal fires with reason "revoked" or "shutdown"), and a fence. Each aborts
 * the handler's signal with its reason. All but the soft limit also settle `interrupted`:
 * the attempt stops waiting, since JavaScript cannot make a handler that ignores its signal
 * stop. The soft limit only asks; the hard limit ends the wait.
 */
export class AttemptSignals {
  private readonly controller = new AbortController();
  // Declared before `interrupted`, whose initializer sets it: a class field declared after
  // would be defined again (as undefined) once that initializer has run.
  private interrupt!: (why: Interrupt) => void;
  /** Settles when the attempt must end without its handler's answer. */
  readonly interrupted = new Promise<Interrupt>((resolve) => (this.interrupt = resolve));
  private readonly softTimer: NodeJS.Timeout;
  private readonly hardTimer: NodeJS.Timeout;

  constructor(
    limits: Pick<TaskPolicy, 'softTimeoutMs' | 'hardTimeoutMs'>,
    private readonly jobSignal?: AbortSignal,
  ) {
    if (jobSignal?.aborted) this.onJobSignal();
    jobSignal?.addEventListener('abort', this.onJobSignal, { once: true });
    this.softTimer = setTimeout(() => this.controller.abort(new SoftTimeLimitError(limits.softTimeoutMs)), limits.softTimeoutMs);
    this.hardTimer = setTimeout(() => {
      const error = new HardTimeLimitError(limits.hardTimeoutMs);
      this.controller.abort(error);
      this.interrupt({ kind: 'hard-limit', error });
    }, limits.hardTimeoutMs);
  }

  /** The handler's signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the handler's signal fired; undefined while it has not. */
  get abortReason(): unknown {
    return this.controller.signal.aborted ? this.controller.signal.reason : undefined;
  }

  /** The attempt no longer owns its task (revoked, or a newer attempt took over): stop the handler wasting work. */
  fence(): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(new AttemptFencedError());
    this.interrupt({ kind: 'fenced' });
  }

  /** Stops the timers and the job signal's listener once the attempt no longer waits. */
  dispose(): void {
    clearTimeout(this.softTimer);
    clearTimeout(this.hardTimer);
    this.jobSignal?.removeEventListener('abort', this.onJobSignal);
  }

  private readonly onJobSignal = (): void => {
    const why: Interrupt = this.jobSignal?.reason === 'revoked' ? { kind: 'revoked' } : { kind: 'shutdown' };
    this.controller.abort(why.kind === 'revoked' ? new TaskRevokedError() : new WorkerShutdownError());
    this.interrupt(why);
  };
}
