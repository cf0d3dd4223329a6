import { randomUUID } from 'node:crypto';
import { xLimitOf, type XEndpoint, type XRateLimitOverrides, type XTier } from '@conveyor/contracts';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { XCallLimiter, XRateHeaders } from './call-limiter';
import { xRateKeys } from './rate-limit-keys';
import { xRateMetrics, type XRateMetrics, type XRateWaitReason } from './rate-limit-metrics';
import { withXRateCommands, type XRateCommands } from './rate-limit-scripts';
import { XApiError } from './x-client';

export interface RedisXRateLimiterOptions {
  /** The deployment's key prefix (BULLMQ_PREFIX); keys are `<prefix>:xrl:{<account>}:<endpoint>`. */
  keyPrefix: string;
  /** Replacements for entries of X's published table (X_RATE_LIMITS in the environment). */
  limits?: XRateLimitOverrides;
  /** The app's metrics registry; none: metrics are counted but not exported. */
  registry?: Registry;
  /**
   * The clock (epoch ms) windows are reckoned in. By default Redis's TIME, one clock for every
   * worker process whatever their own say; tests pass the X simulator's clock instead.
   */
  now?: () => number;
  /**
   * Added to the end of X's window (after its reset second has fully passed) before a call of
   * the next window is let through: the skew between X's clock and ours. 1 s by default.
   */
  marginMs?: number;
  /**
   * How long a call may go unanswered before it no longer counts as in flight: longer than
   * the X client's request timeout. 5 minutes by default.
   */
  inFlightTimeoutMs?: number;
  /** While a window's first call (its probe) is unanswered, how soon another caller may try again. 1 s by default. */
  probeWaitMs?: number;
  /** How long a probe may go unanswered before another call may probe. 30 s by default. */
  probeTimeoutMs?: number;
}

type Account = { accountId: string; tier: XTier };

/**
 * The outbound limiter for X shared by every worker process through Redis: one budget per
 * Conveyor X account and endpoint, each operation one Lua script (rate-limit-scripts.ts).
 *
 * It errs on the side of sending too few calls, never too many:
 * - a window nothing is known of starts from the tier's published limit (with overrides), and
 *   lets one call through first; the rest wait for its answer, whose headers say what X really
 *   counts (X's window may have opened earlier: another client, lost Redis state, a wrong tier);
 * - every answer sets the count to the lowest X has said is left in the window, less the calls
 *   still in flight (X may not have counted them yet), never above the tier's limit less the
 *   calls taken in a window started from the table; and gives the window X's end;
 * - a 429 empties the window until X's reset; X's reset second and a margin are waited out.
 */
export class RedisXRateLimiter implements XCallLimiter {
  private readonly commands: XRateCommands;
  private readonly metrics: XRateMetrics;
  private readonly marginMs: number;
  private readonly inFlightTimeoutMs: number;
  private readonly probeWaitMs: number;
  private readonly probeTimeoutMs: number;

  constructor(
    redis: Redis | Cluster,
    private readonly options: RedisXRateLimiterOptions,
  ) {
    this.commands = withXRateCommands(redis);
    this.metrics = xRateMetrics(options.registry);
    this.marginMs = options.marginMs ?? 1000;
    this.inFlightTimeoutMs = options.inFlightTimeoutMs ?? 5 * 60_000;
    this.probeWaitMs = options.probeWaitMs ?? 1000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 30_000;
  }

  async acquire(account: Account, endpoint: XEndpoint): Promise<void> {
    const { limit, windowMs } = xLimitOf(account.tier, endpoint, this.options.limits);
    const keys = xRateKeys(this.options.keyPrefix, account.accountId, endpoint);
    const [allowed, remaining, waitMs, reason] = await this.commands.conveyorXRateAcquire(
      keys.window,
      keys.inFlight,
      this.clockArg(),
      limit,
      windowMs,
      this.marginMs,
      this.probeWaitMs,
      this.probeTimeoutMs,
      this.inFlightTimeoutMs,
      randomUUID(),
    );
    this.metrics.remaining.set({ account: account.accountId, endpoint }, remaining!);
    if (allowed === 1) return;
    const waitReason: XRateWaitReason = reason === 2 ? 'probe' : reason === 3 ? 'in_flight' : 'spent';
    this.metrics.waits.inc({ endpoint, tier: account.tier, reason: waitReason });
    // The wait is measured in the limiter's clock and made a time in this process's, so a
    // skew between this host and Redis does not move it.
    const retryAtMs = this.localNow() + waitMs!;
    const why = {
      probe: "the window's first call is still unanswered",
      in_flight: 'the rate-limit window is spent unless calls still in flight were counted already',
      spent: 'the rate-limit window is spent',
    }[waitReason];
    throw new XApiError(
      `X ${endpoint} for account ${account.accountId}: ${why}; no call was made, next at ${new Date(retryAtMs).toISOString()}`,
      'rate_limited',
      endpoint,
      0,
      retryAtMs,
    );
  }

  async observe(account: Account, endpoint: XEndpoint, headers: XRateHeaders, status: number): Promise<void> {
    if (status === 429) this.metrics.limited.inc({ endpoint, tier: account.tier });
    const keys = xRateKeys(this.options.keyPrefix, account.accountId, endpoint);
    const { limit, remaining, resetEpochSec } = headers;
    // Headers that are not counts say nothing; the call's reservation then lapses with its timeout.
    if (![limit, remaining, resetEpochSec].every((n) => Number.isSafeInteger(n) && n >= 0)) return;
    const [left] = await this.commands.conveyorXRateObserve(
      keys.window,
      keys.inFlight,
      this.clockArg(),
      limit,
      Math.min(remaining, limit),
      resetEpochSec,
      status === 429 ? '1' : '0',
      this.marginMs,
    );
    if (left! >= 0) this.metrics.remaining.set({ account: account.accountId, endpoint }, left!);
  }

  /** '' lets the script read Redis's TIME. */
  private clockArg(): string {
    return this.options.now ? String(Math.floor(this.options.now())) : '';
  }

  private localNow(): number {
    return this.options.now ? this.options.now() : Date.now();
  }
}
