import type { TaskError } from '@conveyor/contracts';
import { redact } from '@conveyor/observability';

/** What the runtime does with a handler's error. */
export interface Classified {
  kind: 'permanent' | 'transient' | 'deferred';
  error: TaskError;
  /** A delay the error asks for (Retry-After), overriding the backoff. */
  retryAfterMs?: number;
}

const MAX_RETRY_AFTER_MS = 3_600_000;

function field(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

/**
 * PermanentError (by name, so errors from other copies of this package count too) fails at
 * once; DeferTaskError (by name, with a numeric delayMs) puts the task off without spending an
 * attempt; everything else is transient. Any error with a numeric `retryAfterMs` sets the next
 * delay. Messages are redacted and bounded before they are stored.
 */
export function classifyError(error: unknown): Classified {
  const name = typeof field(error, 'name') === 'string' ? (field(error, 'name') as string) : 'Error';
  const rawMessage = field(error, 'message') ?? String(error);
  const message = String(redact(String(rawMessage))).slice(0, 2000);
  const code = field(error, 'code');
  const taskError: TaskError = typeof code === 'string' && name === 'PermanentError' ? { type: name, message, code } : { type: name, message };
  const retryAfter = field(error, 'retryAfterMs');
  const deferMs = field(error, 'delayMs');
  if (name === 'DeferTaskError' && typeof deferMs === 'number' && deferMs >= 0) {
    return { kind: 'deferred', error: taskError, retryAfterMs: Math.min(deferMs, MAX_RETRY_AFTER_MS) };
  }
  return {
    kind: name === 'PermanentError' ? 'permanent' : 'transient',
    error: taskError,
    retryAfterMs: typeof retryAfter === 'number' && retryAfter >= 0 ? Math.min(retryAfter, MAX_RETRY_AFTER_MS) : undefined,
  };
}
