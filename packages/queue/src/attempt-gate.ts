import type { StopSignal } from './stop-signal';

type Waiter = { exclusive: boolean; resolve: (release: () => void) => void; reject: (error: unknown) => void; cleanup?: () => void };

/**
 * Lets a suspect attempt run alone in its worker process. A job BullMQ redelivered after a
 * stall may be the one that killed its last worker (a poison task that crashes the process);
 * run beside others, it would take their attempts down with it again, crash after crash,
 * until innocent tasks too end in the dead-letter table. Ordinary attempts share the gate;
 * a suspect waits until the running ones finish and holds the gate alone, and attempts that
 * arrive meanwhile wait for it (suspects go first). A waiting caller gives up when its signal
 * fires (a revoke, a shutdown).
 *
 * It is also the worker's limit counted in tasks: at most `capacity` attempts hold it at once,
 * however they arrived (one job each, or many in an envelope); the others wait in order.
 */
export class AttemptGate {
  private shared = 0;
  private exclusiveHeld = false;
  private readonly waiting: Waiter[] = [];

  /** `capacity`: most attempts running at once (the worker's concurrency); unbounded by default. */
  constructor(readonly capacity = Number.POSITIVE_INFINITY) {}

  /**
   * The release function when the caller may start its attempt now, else undefined: the
   * common case costs no promise (this runs once per job, on the worker's hot path).
   */
  tryAcquire(exclusive: boolean): (() => void) | undefined {
    return this.canEnter(exclusive) ? this.enter(exclusive) : undefined;
  }

  /** Resolves with a release function once the caller may start its attempt. */
  acquire(exclusive: boolean, signal?: StopSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.tryAcquire(exclusive);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { exclusive, resolve, reject };
      if (signal) {
        const onAbort = () => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(signal.reason);
          this.wake();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.waiting.push(waiter);
    });
  }

  /** Attempts running now and waiting to run (for tests and metrics). */
  get state(): { shared: number; exclusive: boolean; waiting: number } {
    return { shared: this.shared, exclusive: this.exclusiveHeld, waiting: this.waiting.length };
  }

  private canEnter(exclusive: boolean): boolean {
    if (this.exclusiveHeld) return false;
    if (exclusive) return this.shared === 0;
    // Ordinary attempts do not overtake a suspect waiting for the others to finish, nor others
    // waiting for a free place.
    return this.shared < this.capacity && this.waiting.length === 0;
  }

  private enter(exclusive: boolean): () => void {
    if (exclusive) this.exclusiveHeld = true;
    else this.shared += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (exclusive) this.exclusiveHeld = false;
      else this.shared -= 1;
      this.wake();
    };
  }

  private wake(): void {
    // Suspects first, one at a time; then every ordinary attempt that was waiting.
    const suspect = this.waiting.find((w) => w.exclusive);
    if (suspect) {
      if (!this.canEnter(true)) return;
      this.waiting.splice(this.waiting.indexOf(suspect), 1);
      suspect.cleanup?.();
      suspect.resolve(this.enter(true));
      return;
    }
    if (this.exclusiveHeld) return;
    // Then the ordinary attempts that were waiting, in order, as far as there is room.
    while (this.waiting.length > 0 && this.shared < this.capacity) {
      const waiter = this.waiting.shift()!;
      waiter.cleanup?.();
      waiter.resolve(this.enter(false));
    }
  }
}
