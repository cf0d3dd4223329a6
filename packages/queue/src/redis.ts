import IORedis, { Cluster, type ClusterOptions, type Redis, type RedisOptions } from 'ioredis';

/** A connection to Redis: one server, or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;

/** A seed of a Redis Cluster. */
export interface RedisNode {
  host: string;
  port: number;
}

/** A command fails at once while Redis is unreachable, instead of queueing in memory. */
const FAIL_FAST = { enableOfflineQueue: false, maxRetriesPerRequest: 1 } as const;

/**
 * The options of each kind of connection. On a cluster, the offline queue and auto-pipelining
 * are the cluster client's (it queues while it has no slot table), the rest each node's.
 */
const KINDS = {
  /** BullMQ workers and subscriptions: wait for Redis to come back instead of failing, as BullMQ requires. */
  worker: { maxRetriesPerRequest: null, connectionName: 'conveyor-worker' },
  /** Producers (the API): fail at once while Redis is down, so the caller can answer 503 and nothing is half-done. */
  producer: { ...FAIL_FAST, connectionName: 'conveyor-producer' },
  /** Many small independent commands (rate-limit counters): fail fast, and one turn's commands go out as one pipeline. */
  pipelined: { ...FAIL_FAST, enableAutoPipelining: true, connectionName: 'conveyor-counters' },
} satisfies Record<string, RedisOptions>;

/**
 * A connection for BullMQ workers: commands wait for Redis to come back instead of
 * failing (`maxRetriesPerRequest: null`), as BullMQ's production guide requires.
 */
export function createWorkerRedis(url: string): Redis;
export function createWorkerRedis(url: string, clusterNodes: readonly RedisNode[] | undefined): RedisClient;
export function createWorkerRedis(url: string, clusterNodes?: readonly RedisNode[]): RedisClient {
  return connect(url, clusterNodes, KINDS.worker);
}

/**
 * A connection for producers (the API): when Redis is down, a command fails at once
 * instead of queueing in memory, so the caller can answer 503 and nothing is half-done.
 */
export function createProducerRedis(url: string): Redis;
export function createProducerRedis(url: string, clusterNodes: readonly RedisNode[] | undefined): RedisClient;
export function createProducerRedis(url: string, clusterNodes?: readonly RedisNode[]): RedisClient {
  return connect(url, clusterNodes, KINDS.producer);
}

/**
 * A producer-style connection (fails fast when Redis is down) whose commands issued in the
 * same turn of the event loop go out as one pipeline: for many small independent commands,
 * such as the API's rate-limit counters (one per request). Not for BullMQ, whose own
 * connections send their commands one by one.
 */
export function createPipelinedRedis(url: string): Redis;
export function createPipelinedRedis(url: string, clusterNodes: readonly RedisNode[] | undefined): RedisClient;
export function createPipelinedRedis(url: string, clusterNodes?: readonly RedisNode[]): RedisClient {
  return connect(url, clusterNodes, KINDS.pipelined);
}

/**
 * One server at `url`, or, given seeds, a cluster client whose every node connection takes
 * `url`'s user, password and TLS (`rediss:`); `url`'s host, port and database are not used then.
 */
function connect(url: string, clusterNodes: readonly RedisNode[] | undefined, options: RedisOptions): RedisClient {
  if (!clusterNodes?.length) return new IORedis(url, options);
  const { enableOfflineQueue, enableAutoPipelining, ...perNode } = options;
  const clusterOptions: ClusterOptions = { redisOptions: { ...credentialsOf(url), ...perNode } };
  if (enableOfflineQueue !== undefined) clusterOptions.enableOfflineQueue = enableOfflineQueue;
  if (enableAutoPipelining !== undefined) clusterOptions.enableAutoPipelining = enableAutoPipelining;
  return new Cluster([...clusterNodes], clusterOptions);
}

function credentialsOf(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** A second connection like `redis` (same server or cluster, same options), under another name: e.g. for subscriptions. */
export function duplicateRedis(redis: RedisClient, connectionName: string): RedisClient {
  if (redis instanceof Cluster) return redis.duplicate(undefined, { redisOptions: { ...redis.options.redisOptions, connectionName } });
  return redis.duplicate({ connectionName });
}

/** The servers that hold data: the one server, or every master of a cluster (its current view). */
function mastersOf(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/**
 * mastersOf once a cluster client has its slot table: until then it knows only its seeds,
 * which need not be the masters. A command waits for that where the connection queues
 * commands (workers); a fail-fast one is not waited for.
 */
export async function readyMastersOf(redis: RedisClient): Promise<Redis[]> {
  if (redis instanceof Cluster && redis.status !== 'ready') await redis.ping().catch(() => undefined);
  return mastersOf(redis);
}

/** Readiness: every master answers PING (a cluster with a master down cannot serve that master's queues). */
export async function pingEveryMaster(redis: RedisClient): Promise<void> {
  if (redis instanceof Cluster && redis.status !== 'ready') throw new Error(`Redis Cluster is not ready (${redis.status})`);
  const masters = mastersOf(redis);
  if (masters.length === 0) throw new Error('Redis Cluster has no master connected');
  await Promise.all(masters.map((node) => node.ping()));
}

const REDIS_DOWN = [
  /enableOfflineQueue/i,
  /Connection is closed/i,
  /ECONNREFUSED/,
  /ECONNRESET/,
  /max retries per request/i,
  /Redis is not connected/i,
  /LOADING/,
  // A cluster that cannot serve: no seed answers, no slot table, a slot without a master.
  /None of startup nodes is available/i,
  /Failed to refresh slots cache/i,
  /Cluster isn't ready/i,
  /CLUSTERDOWN/,
];

/** True when err says Redis is unreachable (answer 503), not that a command was wrong. */
export function isRedisUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, message, code } = err as { name?: unknown; message?: unknown; code?: unknown };
  if (name === 'QueueUnavailableError' || name === 'MaxRetriesPerRequestError' || name === 'ClusterAllFailedError') return true;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return true;
  return typeof message === 'string' && REDIS_DOWN.some((re) => re.test(message));
}
