/** One problem with a request, as the API names it: `payload.message`, `query.limit`, `tasks.3.task`. */
export interface Issue {
  path: string;
  message: string;
}

/** Every error this client throws (apart from an abort, which rejects with the signal's reason, as fetch does). */
export class ConveyorError extends Error {
  override name = 'ConveyorError';
}

/** What the API answered with a status of 4xx or 5xx. */
export interface ApiErrorDetails {
  status: number;
  /** The API's stable `error` code (`validation_failed`, `task_not_found`, `rate_limited`…), or `http_<status>` when the answer was not the API's. */
  code: string;
  message: string;
  issues?: Issue[];
  /** Milliseconds the server asked to wait (Retry-After), when it said. */
  retryAfterMs?: number;
  requestId?: string;
  method: string;
  path: string;
  /** What the client did about it, e.g. why it did not retry. */
  note?: string;
}

/**
 * The API refused or failed a request. `code` is the API's `error` field, `issues` names each
 * bad field, `retryAfterMs` is how long the server asked to wait (429, 503). Subclasses stand
 * for the common statuses, so `instanceof NotFoundError` reads better than comparing numbers.
 */
export class ConveyorApiError extends ConveyorError {
  override name = 'ConveyorApiError';
  readonly status: number;
  readonly code: string;
  readonly issues: Issue[];
  readonly retryAfterMs: number | undefined;
  readonly requestId: string | undefined;
  readonly method: string;
  readonly path: string;

  constructor(details: ApiErrorDetails) {
    const where = `${details.method} ${details.path} answered ${details.status} ${details.code}`;
    super(`${details.message} (${where}${details.note ? `; ${details.note}` : ''})`);
    this.status = details.status;
    this.code = details.code;
    this.issues = details.issues ?? [];
    this.retryAfterMs = details.retryAfterMs;
    this.requestId = details.requestId;
    this.method = details.method;
    this.path = details.path;
  }
}

/** 400 (or 422): the request itself is wrong; `issues` says where. Sending it again will not help. */
export class ValidationError extends ConveyorApiError {
  override name = 'ValidationError';
}

/** 401: the API key (or task token) is missing, unknown, revoked or expired. */
export class AuthenticationError extends ConveyorApiError {
  override name = 'AuthenticationError';
}

/** 403: the key is valid but may not do this (a tenant route with an admin key, an admin route with a tenant key). */
export class PermissionDeniedError extends ConveyorApiError {
  override name = 'PermissionDeniedError';
}

/** 404: no such task or schedule for this tenant. */
export class NotFoundError extends ConveyorApiError {
  override name = 'NotFoundError';
}

/** 409: the request conflicts with the current state (a finished task to cancel, an idempotency key used for another payload, a taken name). */
export class ConflictError extends ConveyorApiError {
  override name = 'ConflictError';
}

/**
 * 429: past the tenant's rate limit or stream cap, after the retries this client was allowed, or
 * (code `action_limit_reached`) a task whose per-action limit the plan has used up this period,
 * thrown at once when the period ends later than maxRetryDelayMs; `retryAfterMs` says when to try again.
 */
export class RateLimitError extends ConveyorApiError {
  override name = 'RateLimitError';
}

/** 503: Postgres or Redis was unreachable and nothing was changed, after the retries this client was allowed. */
export class ServiceUnavailableError extends ConveyorApiError {
  override name = 'ServiceUnavailableError';
}

const BY_STATUS: Record<number, typeof ConveyorApiError> = {
  400: ValidationError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: ValidationError,
  429: RateLimitError,
  503: ServiceUnavailableError,
};

/** The error class for a status: a subclass for the common ones, ConveyorApiError for the rest. */
export function apiError(details: ApiErrorDetails): ConveyorApiError {
  const Class = BY_STATUS[details.status] ?? ConveyorApiError;
  return new Class(details);
}

/** The server could not be reached, or the connection broke before an answer (DNS, refused, reset, TLS). */
export class ConnectionError extends ConveyorError {
  override name = 'ConnectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** tasks.wait() gave up: the task had not ended within timeoutMs. The task itself goes on. */
export class WaitTimeoutError extends ConveyorError {
  override name = 'WaitTimeoutError';
  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
    /** The last status seen, if any. */
    readonly lastStatus: string | undefined,
  ) {
    super(
      `Task ${taskId} did not end within ${timeoutMs} ms${lastStatus ? ` (last seen ${lastStatus})` : ''}; it goes on running: wait again, or cancel it with tasks.cancel()`,
    );
  }
}
