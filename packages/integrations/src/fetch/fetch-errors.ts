/**
 * Why safeFetch refused or failed; the label of conveyor_fetch_refused_total. A small fixed
 * set, so the metric stays cheap and a task can branch on it.
 */
export type FetchRefusalReason =
  // the URL or an address it resolves to (UnsafeUrlError)
  | 'invalid_url'
  | 'scheme'
  | 'credentials'
  | 'private_address'
  | 'metadata'
  // the answer, or getting one (FetchRefusedError)
  | 'too_many_redirects'
  | 'status'
  | 'too_large'
  | 'content_type'
  | 'dns'
  | 'tls'
  | 'network'
  | 'timeout';

/**
 * Base of both safeFetch errors. `permanent` tells a task what to do with it: true when
 * another attempt would get the same answer (the URL, its size or type, a 4xx), so the task
 * should fail with a PermanentError; false for what may pass (5xx, timeout, reset), a retry.
 * Messages name the URL without its query string, so a signed URL's token never reaches logs.
 */
export abstract class SafeFetchError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly reason: FetchRefusalReason,
    readonly permanent: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The URL, a redirect's Location, or an address either resolves to may not be fetched. Always permanent. */
export class UnsafeUrlError extends SafeFetchError {
  override name = 'UnsafeUrlError';
  readonly code = 'URL_NOT_ALLOWED';
  constructor(message: string, reason: FetchRefusalReason, options?: ErrorOptions) {
    super(message, reason, true, options);
  }
}

/** The fetch was made but its answer is not usable (status, size, type, redirects), or no answer came. */
export class FetchRefusedError extends SafeFetchError {
  override name = 'FetchRefusedError';
  readonly code = 'FETCH_REFUSED';
  constructor(
    message: string,
    reason: FetchRefusalReason,
    permanent: boolean,
    /** The HTTP status when the refusal is about one (reason 'status'). */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, reason, permanent, options);
  }
}
