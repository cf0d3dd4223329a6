import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis';

// Live events are published only for tasks some client is streaming: most tasks are never
// watched, and a publish nobody receives still costs the worker a message to build and send.
// The API processes record what they stream in a sorted set (member "<task id>|<api id>",
// score: when it expires unless renewed) and announce each change on a channel; workers keep
// the set in memory, seeded from Redis and kept current by the announcements.

/** The sorted set of watches: "<task id>|<watcher id>" → expiry (ms since the epoch). */
export function watchedKey(prefix: string): string {
  return `${prefix}:events:watched`;
}

/** The channel announcing "+<task id>|<watcher id>" and "-<task id>|<watcher id>". */
export function watchChannel(prefix: string): string {
  return `${prefix}:events:watch`;
}

const splitMember = (member: string): [taskId: string, watcher: string] => {
  const bar = member.lastIndexOf('|');
  return [member.slice(0, bar), member.slice(bar + 1)];
};

/** Records that watcher streams taskId in a map of task id → watchers. */
const addWatcher = (watchers: Map<string, Set<string>>, taskId: string, watcher: string): void => {
  const set = watchers.get(taskId);
  if (set) set.add(watcher);
  else watchers.set(taskId, new Set([watcher]));
};

/**
 * The API's side: records which tasks this process streams, renewing its entries while they
 * last, so a crashed process's watches expire by themselves.
 */
export class WatchRegistry {
  private readonly watched = new Set<string>();
  private readonly renewal: NodeJS.Timeout;
  readonly id = randomUUID();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlMs = 60_000,
  ) {
    this.renewal = setInterval(() => void this.renew(), Math.max(1000, Math.floor(ttlMs / 3)));
    this.renewal.unref();
  }

  /** Marks the task watched and tells the workers. Resolves once both are sent (errors too). */
  async add(taskId: string): Promise<void> {
    this.watched.add(taskId);
    const member = `${taskId}|${this.id}`;
    await this.redis
      .multi()
      .zadd(watchedKey(this.prefix), Date.now() + this.ttlMs, member)
      .publish(watchChannel(this.prefix), `+${member}`)
      .exec();
  }

  /** The task is no longer watched by this process. */
  async remove(taskId: string): Promise<void> {
    if (!this.watched.delete(taskId)) return;
    const member = `${taskId}|${this.id}`;
    await this.redis.multi().zrem(watchedKey(this.prefix), member).publish(watchChannel(this.prefix), `-${member}`).exec();
  }

  private async renew(): Promise<void> {
    const key = watchedKey(this.prefix);
    const expiry = Date.now() + this.ttlMs;
    const pipeline = this.redis.pipeline().zremrangebyscore(key, '-inf', Date.now());
    for (const taskId of this.watched) pipeline.zadd(key, expiry, `${taskId}|${this.id}`);
    await pipeline.exec().catch(() => undefined); // Redis away: entries expire, the streams re-read Postgres
  }

  /** Stops renewing and removes this process's watches. */
  async close(): Promise<void> {
    clearInterval(this.renewal);
    await Promise.all([...this.watched].map((id) => this.remove(id).catch(() => undefined)));
  }
}

/**
 * The workers' side: which tasks some API process streams, so that events of the others are
 * not published. Seeded from the sorted set at start and every refreshMs (which also drops
 * the watches of an API process that died), and kept current between by the announcements.
 */
export class WatchedTasks {
  /** task id → the watchers streaming it. */
  private readonly watchers = new Map<string, Set<string>>();
  /** Watches announced lately, with when: a refresh whose read predates one keeps it. */
  private announced: { taskId: string; watcher: string; at: number }[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly refreshMs = 10_000,
  ) {}

  /** Subscribes (on a connection of its own, left in subscriber mode) and loads the watches. */
  async start(subscriber: RedisClient): Promise<void> {
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== watchChannel(this.prefix)) return;
      const [taskId, watcher] = splitMember(message.slice(1));
      if (message.startsWith('+')) this.addWatch(taskId, watcher);
      else this.dropWatch(taskId, watcher);
    });
    await subscriber.subscribe(watchChannel(this.prefix));
    await this.refresh();
    // Reloaded after a reconnect too (not at this first connection, loaded just now):
    // announcements sent meanwhile were missed.
    subscriber.on('ready', () => void this.refresh());
    this.refreshTimer = setInterval(() => void this.refresh(), this.refreshMs);
    this.refreshTimer.unref();
  }

  /** Whether some client streams this task's events. */
  has(taskId: string): boolean {
    return this.watchers.has(taskId);
  }

  get size(): number {
    return this.watchers.size;
  }

  close(): void {
    clearInterval(this.refreshTimer);
  }

  private async refresh(): Promise<void> {
    const started = performance.now();
    let members: string[];
    try {
      members = await this.redis.zrangebyscore(watchedKey(this.prefix), Date.now(), '+inf');
    } catch {
      return; // Redis away: keep what we know; events are best effort, Postgres has the truth
    }
    const loaded = new Map<string, Set<string>>();
    for (const member of members) addWatcher(loaded, ...splitMember(member));
    // The read and the announcements come on different connections, so a watch announced
    // while the read was under way may be missing from it: those are kept.
    this.announced = this.announced.filter((a) => a.at >= started);
    for (const { taskId, watcher } of this.announced) addWatcher(loaded, taskId, watcher);
    this.watchers.clear();
    for (const [taskId, set] of loaded) this.watchers.set(taskId, set);
  }

  private addWatch(taskId: string, watcher: string): void {
    this.announced.push({ taskId, watcher, at: performance.now() });
    addWatcher(this.watchers, taskId, watcher);
  }

  private dropWatch(taskId: string, watcher: string): void {
    const set = this.watchers.get(taskId);
    if (!set) return;
    set.delete(watcher);
    if (set.size === 0) this.watchers.delete(taskId);
  }
}
