/** The reason a handler's AbortSignal fires when its attempt no longer owns the task. */
export class AttemptFencedError extends Error {
  override name = 'AttemptFencedError';
  constructor(options?: ErrorOptions) {
    super('this attempt no longer owns the task (revoked, or a newer attempt took over)', options);
  }
}
