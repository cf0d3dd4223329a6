import type { RedisClient } from '@conveyor/queue';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { retryAfterSeconds } from './rate-limit';
import { SharedCounter } from './shared-counter';

/**
 * Counts requests with an unknown API key per client address (over every API replica, in
 * Redis). Past `perMinute` in a minute the address is refused with 429 before its keys are
 * looked up, so guessing keys is slow and costs Postgres nothing. Keys the API already knows
 * (held in its principal cache) still work from that address.
 */
export class AuthFailures {
  private readonly counter: SharedCounter;

  constructor(
    redis: RedisClient,
    keyPrefix: string,
    readonly perMinute: number,
  ) {
    this.counter = new SharedCounter(redis, `${keyPrefix}:authfail`, perMinute);
  }

  /** Seconds the address must wait before its next lookup, or 0 when it may try now. */
  async refusal(address: string): Promise<number> {
    const state = await this.counter.get(address).catch(() => null);
    return state && state.consumedPoints >= this.perMinute ? retryAfterSeconds(state) : 0;
  }

  async record(address: string): Promise<void> {
    await this.counter.consume(address).catch((rejection: unknown) => {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
    });
  }
}
