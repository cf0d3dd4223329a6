/** A transient failure that knows when to try again (a provider's Retry-After). */
export class RetryLaterError extends Error {
  override name = 'RetryLaterError';
  constructor(
    message: string,
    /** Milliseconds to wait before the next attempt. */
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
