/**
 * How many attempts of a worker may be writing their outcome after giving back their place
 * (AttemptPlace): a bound on the tasks a worker holds beyond its concurrency.
 */
export class OutcomeBacklog {
  private writing = 0;

  constructor(readonly capacity: number) {}

  /** Takes a slot if one is free. */
  tryEnter(): boolean {
    if (this.writing >= this.capacity) return false;
    this.writing += 1;
    return true;
  }

  leave(): void {
    this.writing -= 1;
  }

  /** Attempts writing their outcome without a place now (for tests and metrics). */
  get size(): number {
    return this.writing;
  }
}

/**
 * A running attempt's place in its worker: its place at the AttemptGate (handlers running at
 * once) and in the fetch budget (tasks held), given back through `free`. The worker's
 * concurrency limits handlers, not bookkeeping: once the handler is done (or abandoned at a
 * limit), `handlerDone` gives the place back while the outcome is still being written, if the
 * backlog has room, so the outcome's commit overlaps the next task's claim and handler instead
 * of holding a place no handler uses. Without room, the place is given back at `done`, once the
 * outcome is written, as it always was. The job itself still completes in BullMQ only after
 * its outcome has committed.
 */
export class AttemptPlace {
  private state: 'held' | 'writing' | 'free' = 'held';

  constructor(
    private readonly backlog: OutcomeBacklog,
    private readonly free: () => void,
  ) {}

  /** The handler has returned, thrown or been abandoned: only the outcome's write is left. */
  handlerDone(): void {
    if (this.state !== 'held' || !this.backlog.tryEnter()) return;
    this.state = 'writing';
    this.free();
  }

  /** The attempt has ended, its outcome written (or not run at all). Idempotent. */
  done(): void {
    if (this.state === 'writing') this.backlog.leave();
    else if (this.state === 'held') this.free();
    this.state = 'free';
  }
}
