import { DeferTaskError, PermanentError } from '@conveyor/contracts';
import type { XApiError, XErrorKind } from './x-client';

/** How long a rate-limited task waits when X gave no reset: a minute, then it asks again. */
const DEFER_WITHOUT_RESET_MS = 60_000;

/** The stable codes of the X failures no other attempt can fix, as PermanentError carries them. */
export const X_PERMANENT_CODES = {
  permanent: 'X_INVALID_REQUEST',
  auth: 'X_AUTH',
  duplicate: 'X_DUPLICATE',
} as const satisfies Partial<Record<XErrorKind, string>>;

/** Milliseconds from `nowMs` until `retryAtMs` (never negative): a DeferTaskError's delay. */
export function deferDelayMs(retryAtMs: number | undefined, nowMs = Date.now()): number {
  return retryAtMs === undefined ? DEFER_WITHOUT_RESET_MS : Math.max(0, Math.ceil(retryAtMs - nowMs));
}

/**
 * What a task handler throws for a failed X call, so the queue does the right thing with it:
 * - rate_limited: DeferTaskError until the window's reset: not a failure, no attempt spent;
 * - transient and unknown_outcome: a plain Error, retried with backoff (an unknown outcome is
 *   resolved by the publisher before it sends again: the post may exist);
 * - permanent, auth, duplicate: PermanentError with code X_INVALID_REQUEST, X_AUTH or X_DUPLICATE.
 * The XApiError is kept as the cause; its message never holds a token.
 */
export function toTaskError(error: XApiError, nowMs = Date.now()): Error {
  const options = { cause: error };
  switch (error.kind) {
    case 'rate_limited':
      return new DeferTaskError(error.message, deferDelayMs(error.retryAtMs, nowMs), options);
    case 'transient':
    case 'unknown_outcome':
      return new Error(error.message, options);
    case 'permanent':
    case 'auth':
    case 'duplicate':
      return new PermanentError(error.message, X_PERMANENT_CODES[error.kind], options);
  }
}
