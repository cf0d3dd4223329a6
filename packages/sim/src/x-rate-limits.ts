import { X_RATE_LIMITS, type XEndpoint, type XLimit, type XRateLimitOverrides, type XTier } from '@conveyor/contracts';

/** What a request leaves of its window: the three x-rate-limit-* headers. */
export interface XRateState {
  limit: number;
  remaining: number;
  /** Epoch seconds at which the window ends. */
  reset: number;
  /** False when this request is over the limit (a 429). */
  allowed: boolean;
}

/**
 * Fixed windows per user token and endpoint, as X counts them: a window opens with the first
 * request and lasts windowMs; past `limit` requests in it, every request is refused until it ends.
 * Time comes from `now`, so tests move through windows without waiting.
 */
export class XRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private overrides: XRateLimitOverrides;

  constructor(
    private readonly now: () => number,
    private readonly startOverrides: XRateLimitOverrides = {},
  ) {
    this.overrides = structuredClone(startOverrides);
  }

  limitOf(tier: XTier, endpoint: XEndpoint): XLimit {
    return { ...X_RATE_LIMITS[tier][endpoint], ...this.overrides[tier]?.[endpoint] };
  }

  /** Replaces the limit and/or window of one endpoint for one tier (until reset). */
  override(tier: XTier, endpoint: XEndpoint, { limit, windowMs }: Partial<XLimit>): void {
    if (!X_RATE_LIMITS[tier]?.[endpoint]) throw new Error(`no rate limit for tier ${tier} and endpoint ${endpoint}`);
    const entry = ((this.overrides[tier] ??= {})[endpoint] ??= {});
    if (limit !== undefined) entry.limit = limit;
    if (windowMs !== undefined) entry.windowMs = windowMs;
  }

  /** Counts one request of `token` to `endpoint` and says whether it is within the limit. */
  take(token: string, tier: XTier, endpoint: XEndpoint): XRateState {
    const { limit, windowMs } = this.limitOf(tier, endpoint);
    const key = `${token}\n${endpoint}`;
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now >= window.start + windowMs) this.windows.set(key, (window = { start: now, count: 0 }));
    window.count += 1;
    return {
      limit,
      remaining: Math.max(0, limit - window.count),
      reset: Math.ceil((window.start + windowMs) / 1000),
      allowed: window.count <= limit,
    };
  }

  /** Forgets every window and every override made since start. */
  reset(): void {
    this.windows.clear();
    this.overrides = structuredClone(this.startOverrides);
  }
}
