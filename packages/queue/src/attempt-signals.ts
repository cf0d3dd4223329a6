import { AttemptFencedError, HardTimeLimitError, SoftTimeLimitError, TaskRevokedError, WorkerShutdownError } from '@conveyor/contracts';
import type { TaskPolicy } from '@conveyor/contracts';
import type { StopSignal } from './stop-signal';

/** Why a running attempt stopped waiting for its handler. */
export type Interrupt = { kind: 'hard-limit'; error: HardTimeLimitError } | { kind: 'revoked' } | { kind: 'shutdown' } | { kind: 'fenced' };

/**
 * What can stop a running attempt: its soft and hard time limits, a revoke or a shutdown
 * (BullMQ's job signal fires with reason "revoked" or "shutdown"), and a fence. Each aborts
 * the handler's signal with its reason. All but the soft limit also settle `interrupted`:
 * the attempt stops waiting, since JavaScript cannot make a handler that ignores its signal
 * stop. The soft limit only asks; the hard limit ends the wait.
 *
 * The handler's AbortSignal is made only when the handler asks for it (ctx.signal), already
 * aborted if the attempt was stopped before: on Node 20 an AbortSignal costs 5–9 µs of CPU to
 * make, more than the rest of a no-op attempt's bookkeeping. One timer runs at a time: the
 * soft limit's, then the hard limit's for the time left.
 */
export class AttemptSignals {
  private controller: AbortController | undefined;
  private stopped = false;
  private reason: unknown;
  // Declared before `interrupted`, whose initializer sets it: a class field declared after
  // would be defined again (as undefined) once that initializer has run.
  private interrupt!: (why: Interrupt) => void;
  /** Settles when the attempt must end without its handler's answer. */
  readonly interrupted = new Promise<Interrupt>((resolve) => (this.interrupt = resolve));
  private timer: NodeJS.Timeout | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly limits: Pick<TaskPolicy, 'softTimeoutMs' | 'hardTimeoutMs'>,
    private readonly jobSignal?: StopSignal,
  ) {
    if (jobSignal?.aborted) this.onJobSignal();
    jobSignal?.addEventListener('abort', this.onJobSignal, { once: true });
    if (limits.softTimeoutMs <= limits.hardTimeoutMs) this.timer = setTimeout(this.onSoftLimit, limits.softTimeoutMs);
    else this.timer = setTimeout(this.onHardLimit, limits.hardTimeoutMs);
  }

  /** The handler's signal. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Why the handler's signal fired; undefined while it has not. */
  get abortReason(): unknown {
    return this.stopped ? this.reason : undefined;
  }

  /** The attempt no longer owns its task (revoked, or a newer attempt took over): stop the handler wasting work. */
  fence(): void {
    if (this.stopped) return;
    this.abort(new AttemptFencedError());
    this.interrupt({ kind: 'fenced' });
  }

  /** Stops the timer and the job signal's listener once the attempt no longer waits. */
  dispose(): void {
    clearTimeout(this.timer);
    this.jobSignal?.removeEventListener('abort', this.onJobSignal);
  }

  /** Aborts the handler's signal with the first reason given; later ones change nothing. */
  private abort(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  private readonly onSoftLimit = (): void => {
    this.abort(new SoftTimeLimitError(this.limits.softTimeoutMs));
    this.timer = setTimeout(this.onHardLimit, Math.max(0, this.started + this.limits.hardTimeoutMs - performance.now()));
  };

  private readonly onHardLimit = (): void => {
    const error = new HardTimeLimitError(this.limits.hardTimeoutMs);
    this.abort(error);
    this.interrupt({ kind: 'hard-limit', error });
  };

  private readonly onJobSignal = (): void => {
    const why: Interrupt = this.jobSignal?.reason === 'revoked' ? { kind: 'revoked' } : { kind: 'shutdown' };
    this.abort(why.kind === 'revoked' ? new TaskRevokedError() : new WorkerShutdownError());
    this.interrupt(why);
  };
}
