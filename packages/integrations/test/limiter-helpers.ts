import type { XEndpoint, XTier } from '@conveyor/contracts';
import { createTestRedis } from '@conveyor/testkit';
import { RedisXRateLimiter, XApiError, type RedisXRateLimiterOptions } from '../src';

/** A clock the test moves by hand (epoch ms), so windows pass without waiting. */
export class ManualClock {
  constructor(public ms = Date.parse('2026-12-05T00:00:00Z')) {}
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A limiter on a Redis connection of its own (as a worker process has), closed by `closeAll`. */
export function limiterOn(keyPrefix: string, options: Omit<RedisXRateLimiterOptions, 'keyPrefix'> = {}) {
  const redis = createTestRedis();
  opened.push(redis);
  return new RedisXRateLimiter(redis, { keyPrefix, ...options });
}
const opened: ReturnType<typeof createTestRedis>[] = [];
export function closeAll(): void {
  for (const redis of opened.splice(0)) redis.disconnect();
}

/** acquire's outcome as a value: 'ok', or the rate_limited error's retryAtMs (any other error fails). */
export async function tryAcquire(limiter: RedisXRateLimiter, account: { accountId: string; tier: XTier }, endpoint: XEndpoint): Promise<'ok' | number> {
  try {
    await limiter.acquire(account, endpoint);
    return 'ok';
  } catch (error) {
    if (error instanceof XApiError && error.kind === 'rate_limited' && error.retryAtMs !== undefined) return error.retryAtMs;
    throw error;
  }
}

/** X's reset header for a window of `windowMs` opened at `openedAtMs`, as X (and the simulator) give it. */
export const resetSecOf = (openedAtMs: number, windowMs: number) => Math.ceil((openedAtMs + windowMs) / 1000);

/** When the limiter lets the next window start after X's reset header `resetSec`: the whole second, then the 1 s margin. */
export const reopensAt = (resetSec: number) => (resetSec + 1) * 1000 + 1000;
