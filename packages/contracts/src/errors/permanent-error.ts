/**
 * A failure that another attempt cannot fix (bad input, a 4xx from a provider, a budget cap
 * reached): the task fails at once, with no retry. `code` is a stable, machine-readable reason;
 * `cause` keeps the error it was made from.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(
    message: string,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
