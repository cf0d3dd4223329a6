/** Every model of a chain failed transiently; retry the task later (after retryAfterMs when known). */
export class InferenceUnavailableError extends Error {
  override name = 'InferenceUnavailableError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
