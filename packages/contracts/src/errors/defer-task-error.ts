/**
 * Not a failure: the task cannot run yet for a reason outside it (a provider's rate-limit
 * window is spent until its reset). The task runs again after `delayMs`, and this attempt is
 * not counted against its attempts. Thrown by a handler or a library it calls.
 */
export class DeferTaskError extends Error {
  override name = 'DeferTaskError';
  constructor(
    message: string,
    /** Milliseconds until the task may run again. */
    readonly delayMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
