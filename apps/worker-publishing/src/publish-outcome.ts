import { PermanentError, type TaskError } from '@conveyor/contracts';
import type { PostError } from '@conveyor/db';
import { XApiError, toTaskError } from '@conveyor/integrations';
import { classifyError } from '@conveyor/queue';

/** What a failed publish attempt does to its post, and what the task runtime is told. */
export interface FailureOutcome {
  postState: 'queued' | 'failed';
  postError: PostError;
  /** True only when no call of this post can have reached X: the next claim need not look first. */
  clearPublishRequest: boolean;
  taskError: unknown;
}

/** X refused the call: nothing was made by it. */
const REFUSALS = new Set(['rate_limited', 'permanent', 'auth']);

/** Errors raised before any post is sent (a missing secret, a refused media file) that another attempt cannot fix. */
function asTaskError(error: unknown): unknown {
  if (error instanceof XApiError) return toTaskError(error);
  const name = (error as { name?: unknown })?.name;
  if (name === 'SecretNotFoundError' || name === 'InvalidSecretRefError')
    return new PermanentError((error as Error).message, 'X_TOKEN_MISSING', { cause: error });
  if ((error as { permanent?: unknown })?.permanent === true) return new PermanentError((error as Error).message, 'MEDIA_REFUSED', { cause: error });
  return error;
}

/**
 * The one place that decides what a publish failure means:
 * - permanent (invalid text, token problems, a refused media file): the post fails now;
 * - a rate-limit window (DeferTaskError): the post goes back to queued, no attempt spent;
 * - transient (5xx, timeouts, a lost answer): back to queued for the retry, or failed when
 *   this was the last attempt. The publish request stays unless X refused the call, so the
 *   next attempt asks X before posting again.
 */
export function failureOutcome(error: unknown, at: { callMayHaveHappened: boolean; finalAttempt: boolean }): FailureOutcome {
  const taskError = asTaskError(error);
  const classified = classifyError(taskError);
  const refused = (error instanceof XApiError && REFUSALS.has(error.kind)) || (!(error instanceof XApiError) && classified.kind === 'permanent');
  const postError: PostError = { type: classified.error.type, message: describe(classified.error) };
  return {
    postState: classified.kind === 'permanent' || (classified.kind === 'transient' && at.finalAttempt) ? 'failed' : 'queued',
    postError,
    clearPublishRequest: refused && !at.callMayHaveHappened,
    taskError,
  };
}

const describe = (error: TaskError) => ('code' in error && error.code ? `${error.message} (${error.code})` : error.message);
