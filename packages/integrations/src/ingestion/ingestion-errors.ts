/** Why a run failed, as the audit trail and the task's error say it. */
export type IngestionFailureType =
  | 'source_error' // a 4xx other than 429: the source refused the request, with its message
  | 'retries_exhausted' // 429, 5xx or network errors past the retries allowed
  | 'malformed_page' // a page not as the source documents
  | 'missing_secret' // a secret the source needs is not configured
  | 'unsafe_url' // the source's URL resolves to a private address and is not allowed
  | 'time_limit' // the run took longer than its limit
  | 'internal';

/** A run's failure, with a message a person can act on and no secret in it. */
export class IngestionRunError extends Error {
  override name = 'IngestionRunError';
  constructor(
    readonly type: IngestionFailureType,
    message: string,
    /** The HTTP status behind it, when there is one. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
