/** How a source's requests are retried: at most maxRetries times, from baseMs, doubled each time. */
export interface RetryPolicy {
  maxRetries: number;
  baseMs: number;
  /** A backoff is never longer than this (60 s by default). */
  maxBackoffMs?: number;
}

/** Statuses another try may get past: too many requests, and the server's own failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable. A date in the past is 0.
 */
export function retryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * The wait before retry number `retry` (1 for the first): exponential backoff with full
 * jitter (a random point between half and all of base × 2^(retry-1), so workers that failed
 * together do not come back together), and never less than the server's Retry-After.
 */
export function backoffMs(policy: RetryPolicy, retry: number, retryAfter: number | undefined, random: () => number): number {
  const ceiling = Math.min(policy.maxBackoffMs ?? 60_000, policy.baseMs * 2 ** (retry - 1));
  const jittered = Math.round(ceiling * (0.5 + random() / 2));
  return Math.max(jittered, retryAfter ?? 0);
}
