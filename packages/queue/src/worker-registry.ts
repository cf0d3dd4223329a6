import type { RedisClient } from './redis';

/** What a worker process says of itself in the registry (GET /api/v1/workers shows it). */
export interface WorkerEntry {
  instance: string;
  queue: string;
  concurrency: number;
  /** Jobs it runs right now. */
  active: number;
  heartbeat_at: string;
  started_at: string;
  version: string;
}

/**
 * The registry's keys share the hash tag `{workers}`, so an entry and the index are in one
 * slot of a Redis Cluster and one MULTI writes both: `<P>:{workers}:index` (a sorted set of
 * instances by last heartbeat, in ms) and `<P>:{workers}:worker:<instance>` (a hash that
 * expires unless its worker beats again).
 */
export const workersIndexKey = (prefix: string) => `${prefix}:{workers}:index`;
const entryKey = (prefix: string, instance: string) => `${prefix}:{workers}:worker:${instance}`;

/** Index members older than this are dropped on read whatever their hash says (a bound on the index). */
const INDEX_HORIZON_MS = 60 * 60_000;

export interface WorkerRegistrationOptions {
  redis: RedisClient;
  prefix: string;
  instance: string;
  queue: string;
  concurrency: number;
  version: string;
  /** Jobs running now, read at each heartbeat. */
  active: () => number;
  /** Milliseconds between heartbeats; the entry expires after three missed ones. */
  heartbeatMs: number;
  /** Called when a heartbeat fails (Redis unreachable); the next one tries again. */
  onError?: (error: unknown) => void;
}

/**
 * A worker process's entry in the registry: written at start and every heartbeat with an
 * expiry of three heartbeats, removed on a graceful stop. A process killed without a stop
 * disappears when its entry expires.
 */
export class WorkerRegistration {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date().toISOString();
  /** A heartbeat still waiting for Redis (unreachable, say): the next one is skipped rather than queued behind it. */
  private beating = false;

  constructor(private readonly options: WorkerRegistrationOptions) {}

  /** Writes the entry now, then keeps it fresh. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      if (this.beating) return;
      this.beating = true;
      this.beat()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => (this.beating = false));
    }, this.options.heartbeatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const { redis, prefix, instance, queue, concurrency, version, heartbeatMs } = this.options;
    const now = Date.now();
    const key = entryKey(prefix, instance);
    await redis
      .multi()
      .hset(key, {
        instance,
        queue,
        concurrency: String(concurrency),
        active: String(this.options.active()),
        heartbeat_at: new Date(now).toISOString(),
        started_at: this.startedAt,
        version,
      })
      .pexpire(key, heartbeatMs * 3)
      .zadd(workersIndexKey(prefix), now, instance)
      .exec();
  }

  /**
   * Stops the heartbeats and removes the entry. The removal goes out on the heartbeats'
   * connection, after any heartbeat still in flight, so none can write the entry back. Waits
   * for it at most `waitMs`: with Redis unreachable, shutdown goes on and the entry expires.
   */
  async stop(waitMs = 2000): Promise<void> {
    clearInterval(this.timer);
    const { redis, prefix, instance } = this.options;
    const removal = redis.multi().del(entryKey(prefix, instance)).zrem(workersIndexKey(prefix), instance).exec();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    try {
      await Promise.race([removal.then(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
      removal.catch(() => undefined);
    }
  }
}

/**
 * The live workers, by queue then instance. No KEYS or SCAN (a cluster has no single place
 * for them): the index names the instances, their hashes say which are alive, and the index
 * members whose hash expired are pruned here.
 */
export async function listWorkers(redis: RedisClient, prefix: string): Promise<WorkerEntry[]> {
  const index = workersIndexKey(prefix);
  await redis.zremrangebyscore(index, '-inf', Date.now() - INDEX_HORIZON_MS);
  const instances = await redis.zrange(index, 0, -1);
  if (instances.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const instance of instances) pipeline.hgetall(entryKey(prefix, instance));
  const replies = (await pipeline.exec()) ?? [];
  const live: WorkerEntry[] = [];
  const gone: string[] = [];
  instances.forEach((instance, i) => {
    const [error, hash] = replies[i] ?? [new Error('no reply')];
    if (error) throw error;
    const entry = entryOf(hash as Record<string, string>);
    if (entry) live.push(entry);
    else gone.push(instance);
  });
  if (gone.length > 0) await redis.zrem(index, ...gone);
  return live.sort((a, b) => a.queue.localeCompare(b.queue) || a.instance.localeCompare(b.instance));
}

function entryOf(hash: Record<string, string>): WorkerEntry | undefined {
  if (!hash.instance || !hash.queue) return undefined;
  return {
    instance: hash.instance,
    queue: hash.queue,
    concurrency: Number(hash.concurrency ?? 0),
    active: Number(hash.active ?? 0),
    heartbeat_at: hash.heartbeat_at ?? '',
    started_at: hash.started_at ?? '',
    version: hash.version ?? 'unknown',
  };
}
