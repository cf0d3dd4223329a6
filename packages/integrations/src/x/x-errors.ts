import type { XEndpoint } from '@conveyor/contracts';
import { XApiError } from './x-client';
import { problemText } from './x-problem';
import type { XRateHeaders } from './call-limiter';

/** When a 429 carries no usable x-rate-limit-reset: try again in a minute. */
const RATE_LIMIT_FALLBACK_MS = 60_000;

/**
 * The error of an answer that is not 2xx. Only the status, X's reset header and X's own detail
 * go into it, never anything of the request.
 */
export function errorFromAnswer(endpoint: XEndpoint, status: number, body: unknown, rate: XRateHeaders | undefined, nowMs: number): XApiError {
  const text = problemText(body);
  const said = text ? `: ${text}` : '';
  if (status === 429) {
    const retryAtMs = rate ? rate.resetEpochSec * 1000 : nowMs + RATE_LIMIT_FALLBACK_MS;
    return new XApiError(
      `X rate limit of ${endpoint} reached; the window resets at ${new Date(retryAtMs).toISOString()}`,
      'rate_limited',
      endpoint,
      status,
      retryAtMs,
    );
  }
  if (status >= 500) return new XApiError(`X ${endpoint} failed with ${status}${said}`, 'transient', endpoint, status);
  if (status === 403 && /duplicate/i.test(text)) return new XApiError(`X refused ${endpoint} as duplicate content${said}`, 'duplicate', endpoint, status);
  if (status === 401 || status === 403)
    return new XApiError(
      `X refused the account's token for ${endpoint} (${status})${said}; the account may need to be connected again`,
      'auth',
      endpoint,
      status,
    );
  return new XApiError(`X refused ${endpoint} (${status})${said}`, 'permanent', endpoint, status);
}

/**
 * Error codes of a request that never left this machine (no connection was made): nothing can
 * have happened on X's side, so even a create-post may be sent again as it is.
 */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL']);

/** The first system error code in an error's cause chain (fetch wraps it: TypeError → cause, or AggregateError → errors). */
function errorCodeOf(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  if (Array.isArray(errors) && errors.length) return errorCodeOf(errors[0], depth + 1);
  return errorCodeOf(cause, depth + 1);
}

/**
 * The error of a call that got no (complete) answer: timed out, or its connection failed.
 * When the request may have reached X, a create-post is `unknown_outcome` (the post may exist:
 * look before sending it again); every other endpoint is safe to repeat, hence `transient`.
 */
export function errorFromFailure(endpoint: XEndpoint, error: unknown, timedOut: boolean, timeoutMs: number): XApiError {
  const code = timedOut ? 'timeout' : (errorCodeOf(error) ?? 'connection closed');
  if (!timedOut && NOT_SENT_CODES.has(code)) return new XApiError(`X could not be reached for ${endpoint} (${code})`, 'transient', endpoint, 0);
  const what = timedOut ? `no answer within ${timeoutMs} ms` : `the connection failed before an answer (${code})`;
  if (endpoint === 'POST /2/tweets')
    return new XApiError(`X ${endpoint}: ${what}; the post may have been created, so look for it before sending it again`, 'unknown_outcome', endpoint, 0);
  return new XApiError(`X ${endpoint}: ${what}`, 'transient', endpoint, 0);
}
