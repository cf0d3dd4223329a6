import type { XEndpoint, XTier } from '@conveyor/contracts';

/** What X's x-rate-limit-* headers said of an endpoint's window after one answer. */
export interface XRateHeaders {
  limit: number;
  remaining: number;
  /** Epoch seconds at which the window resets. */
  resetEpochSec: number;
}

/**
 * The outbound limiter XApiClient consults around every call, shared by every worker process
 * (RedisXRateLimiter): one budget per X account and endpoint, from the tier's published table,
 * tightened by what X's answers say.
 */
export interface XCallLimiter {
  /**
   * Takes one call from the account's budget for the endpoint; throws XApiError of kind
   * rate_limited (retryAtMs: when a call may be made) when none is left.
   */
  acquire(account: { accountId: string; tier: XTier }, endpoint: XEndpoint): Promise<void>;
  /** Tightens the budget from an answer's headers (a 429's included; status tells which). */
  observe(account: { accountId: string; tier: XTier }, endpoint: XEndpoint, headers: XRateHeaders, status: number): Promise<void>;
}
