import { DeferTaskError } from '@conveyor/contracts';
import type { Cluster, Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { type TokenBucketCommands, withTokenBucketCommands } from './token-bucket-script';

/** A source's request budget: up to `capacity` at once, refilled at `refillPerSecond`. */
export interface TokenBucket {
  capacity: number;
  refillPerSecond: number;
}

export interface TokenBucketLimiterOptions {
  /** The deployment's key prefix (BULLMQ_PREFIX). */
  keyPrefix: string;
  /** The app's metrics registry; none: counted but not exported. */
  registry?: Registry;
  /** The clock (epoch ms); Redis's TIME by default. Tests inject one. */
  now?: () => number;
  /** Waits up to this long are slept in the worker; longer ones defer the task. 2 s by default. */
  maxSleepMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const KEY_PART = /^[a-z0-9_-]{1,64}$/;

/**
 * One token bucket per ingestion source, shared by every worker process through Redis (one
 * Lua script, keys hash-tagged by source). `acquire` takes a token for one request: a short
 * wait is slept, a long one throws DeferTaskError, so the task is delayed (spending no
 * attempt) instead of holding a worker slot asleep.
 */
export class TokenBucketLimiter {
  private readonly redis: TokenBucketCommands;
  private readonly waits: Counter<'source' | 'how'>;

  constructor(
    redis: Redis | Cluster,
    private readonly options: TokenBucketLimiterOptions,
  ) {
    this.redis = withTokenBucketCommands(redis);
    this.waits = new Counter({
      name: 'conveyor_ingestion_rate_waits_total',
      help: 'Requests of an ingestion source that waited for its shared rate limit: slept in the worker, or the task deferred',
      labelNames: ['source', 'how'],
      registers: [],
    });
    if (options.registry && !options.registry.getSingleMetric('conveyor_ingestion_rate_waits_total')) options.registry.registerMetric(this.waits);
  }

  /** The Redis key of a source's bucket (its hash tag keeps it in one cluster slot). */
  keyOf(source: string): string {
    if (!KEY_PART.test(source)) throw new Error(`a source name is 1-64 lower-case letters, digits, _ or -, not ${JSON.stringify(source)}`);
    return `${this.options.keyPrefix}:tb:{${source}}`;
  }

  /** Takes `tokens` now if there are that many; otherwise says how long until there are. */
  async take(source: string, bucket: TokenBucket, tokens = 1): Promise<{ taken: boolean; waitMs: number; left: number }> {
    if (!(bucket.capacity >= tokens && bucket.refillPerSecond > 0))
      throw new Error(`bucket of ${source}: capacity must hold ${tokens} and refill must be above 0`);
    const now = this.options.now ? String(this.options.now()) : '';
    const [taken, waitMs, left] = await this.redis.conveyorTokenBucketTake(this.keyOf(source), now, bucket.capacity, bucket.refillPerSecond, tokens);
    return { taken: taken === 1, waitMs, left: left / 1000 };
  }

  /**
   * Takes one token for a request of `source`, sleeping through short waits; a wait longer
   * than maxSleepMs becomes DeferTaskError (the task runs again when the token is there).
   * Resolves to how many times it slept (0: the token was there at once).
   */
  async acquire(source: string, bucket: TokenBucket, signal?: AbortSignal): Promise<number> {
    const maxSleepMs = this.options.maxSleepMs ?? 2000;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let slept = 0; ; slept++) {
      signal?.throwIfAborted();
      const { taken, waitMs } = await this.take(source, bucket);
      if (taken) return slept;
      if (waitMs > maxSleepMs) {
        this.waits.inc({ source, how: 'deferred' });
        throw new DeferTaskError(`rate limit of source ${source}: no request allowed for ${Math.ceil(waitMs / 1000)} s`, waitMs);
      }
      this.waits.inc({ source, how: 'slept' });
      await sleep(waitMs);
    }
  }
}
