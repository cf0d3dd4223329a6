/**
 * Handlers that are still running after their attempt was abandoned (past its hard limit,
 * revoked, fenced or released at shutdown) and ignore their abort signal. JavaScript cannot
 * kill them, and their job's slot is already free, so a task type that hangs would pile them
 * up without bound. This counts them; past `limit` the worker stops taking jobs until some
 * end (see TaskWorker).
 */
export class AbandonedHandlers {
  private running = 0;

  constructor(
    readonly limit: number,
    private readonly onChange: (running: number, overLimit: boolean) => void = () => undefined,
  ) {}

  get count(): number {
    return this.running;
  }

  get overLimit(): boolean {
    return this.running >= this.limit;
  }

  /** Counts the handler until its promise settles. */
  track(handler: Promise<unknown>): void {
    this.running += 1;
    this.onChange(this.running, this.overLimit);
    void handler.finally(() => {
      this.running -= 1;
      this.onChange(this.running, this.overLimit);
    });
  }
}
