import type { RedisClient } from '@conveyor/queue';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** The length of every counter's fixed window. */
const WINDOW_SECONDS = 60;

/**
 * What this process knows of one subject's counts: the last count Redis gave it (and when
 * that window ends), and the requests it counted itself while Redis could not be asked (and
 * when the first of those is a window old).
 */
interface Known {
  shared: number;
  sharedEndsAt: number;
  offline: number;
  offlineEndsAt: number;
}

/**
 * A fixed-window counter shared by every API replica through Redis. While Redis cannot be
 * asked (not connected yet, or down) the process counts the subject itself, starting from the
 * last count Redis gave it, so requests keep working and a subject that had used up its
 * window stays refused. The requests counted that way stay added to Redis's count once it
 * answers again, until they are a window old: they never reached Redis, and a fresh count in
 * either place must not admit more than the limit (as a separate in-memory limiter did, for
 * requests split across an API start or an outage). Past `points`, consume() rejects with a
 * RateLimiterRes, as rate-limiter-flexible's limiters do.
 */
export class SharedCounter {
  private readonly redis: RateLimiterRedis;
  private readonly known = new Map<string, Known>();
  private pruneAt = 1024;

  constructor(
    redis: RedisClient,
    keyPrefix: string,
    readonly points: number,
  ) {
    this.redis = new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration: WINDOW_SECONDS, rejectIfRedisNotReady: true });
  }

  /** Counts one request of the subject; rejects with the RateLimiterRes past the limit. */
  async consume(subject: string): Promise<RateLimiterRes> {
    let shared: RateLimiterRes | undefined;
    try {
      shared = await this.redis.consume(subject);
    } catch (rejection) {
      // A RateLimiterRes is Redis's count past the limit; anything else, Redis not answering.
      if (rejection instanceof RateLimiterRes) shared = rejection;
    }
    const now = Date.now();
    const known = this.knownOf(subject, now);
    if (shared) {
      known.shared = shared.consumedPoints;
      known.sharedEndsAt = now + shared.msBeforeNext;
    } else {
      if (known.offline === 0) known.offlineEndsAt = now + WINDOW_SECONDS * 1000;
      known.offline += 1;
    }
    // Nothing counted here that Redis missed (nearly always): Redis's answer is the answer.
    const state = shared && known.offline === 0 ? shared : this.stateOf(known, now);
    if (state.consumedPoints > this.points) throw state;
    return state;
  }

  /** The subject's count so far (null when it has none), without counting anything. */
  async get(subject: string): Promise<RateLimiterRes | null> {
    // null: Redis has no count; undefined: Redis did not answer.
    const shared = await this.redis.get(subject).catch(() => undefined);
    const now = Date.now();
    const known = this.known.get(subject);
    if (!known) return shared ?? null;
    if (shared !== undefined) {
      known.shared = shared?.consumedPoints ?? 0;
      known.sharedEndsAt = shared ? now + shared.msBeforeNext : 0;
    }
    const state = this.stateOf(known, now);
    return state.consumedPoints > 0 ? state : null;
  }

  /** The subject's record, with the parts whose window has ended set back to nothing. */
  private knownOf(subject: string, now: number): Known {
    let known = this.known.get(subject);
    if (!known) {
      if (this.known.size >= this.pruneAt) this.prune(now);
      known = { shared: 0, sharedEndsAt: 0, offline: 0, offlineEndsAt: 0 };
      this.known.set(subject, known);
    }
    if (known.sharedEndsAt <= now) known.shared = 0;
    if (known.offlineEndsAt <= now) known.offline = 0;
    return known;
  }

  /** The count a request is judged by: Redis's last count plus those Redis never saw. */
  private stateOf(known: Known, now: number): RateLimiterRes {
    const shared = known.sharedEndsAt > now ? known.shared : 0;
    const offline = known.offlineEndsAt > now ? known.offline : 0;
    const consumed = shared + offline;
    // Refused, the count falls below the limit when the later of its two windows ends.
    const endsAt = Math.max(shared > 0 ? known.sharedEndsAt : 0, offline > 0 ? known.offlineEndsAt : 0);
    return new RateLimiterRes(Math.max(this.points - consumed, 0), Math.max(endsAt - now, 0), consumed);
  }

  /** Forgets the subjects whose windows have all ended; the next prune waits for twice as many. */
  private prune(now: number): void {
    for (const [subject, known] of this.known) if (known.sharedEndsAt <= now && known.offlineEndsAt <= now) this.known.delete(subject);
    this.pruneAt = Math.max(1024, this.known.size * 2);
  }
}
