/** The reason a handler's AbortSignal fires when its soft time limit is reached. */
export class SoftTimeLimitError extends Error {
  override name = 'SoftTimeLimitError';
  constructor(
    readonly limitMs: number,
    options?: ErrorOptions,
  ) {
    super(`soft time limit of ${limitMs} ms reached`, options);
  }
}
