import type { BaseEnv } from '@conveyor/config';
import { type Database, createDb } from '@conveyor/db';
import type { ReadinessCheck } from '@conveyor/observability';
import { type RedisClient, TaskProducer, createPipelinedRedis, createProducerRedis, createWorkerRedis, pingEveryMaster } from '@conveyor/queue';
import { type Kysely, sql } from 'kysely';
import type { Releasers } from './releasers';

/**
 * producer: fails commands fast while Redis is down (HTTP requests, scheduler ticks).
 * worker: waits out an outage (BullMQ workers, subscriptions).
 * pipelined: batches the many small commands of the rate-limit counters.
 */
export type RedisKind = 'producer' | 'worker' | 'pipelined';

const redisFactories: Record<RedisKind, (url: string, clusterNodes: BaseEnv['REDIS_CLUSTER_NODES']) => RedisClient> = {
  producer: createProducerRedis,
  worker: createWorkerRedis,
  pipelined: createPipelinedRedis,
};

/**
 * A Redis connection that is disconnected on release: to the server at REDIS_URL, or a cluster
 * client when REDIS_CLUSTER_NODES is set. Without an error listener ioredis would crash the
 * process on an outage.
 */
export function openRedis(
  env: Pick<BaseEnv, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>,
  kind: RedisKind,
  releasers: Releasers,
  onError: (error: Error) => void = () => undefined,
): RedisClient {
  const redis = redisFactories[kind](env.REDIS_URL, env.REDIS_CLUSTER_NODES);
  redis.on('error', onError);
  releasers.add(`redis (${kind})`, () => redis.disconnect());
  return redis;
}

/** The service's Postgres pool, named after the service in pg_stat_activity, destroyed on release. */
export function openDb(
  env: Pick<BaseEnv, 'DATABASE_URL' | 'DATABASE_POOL_MAX' | 'DATABASE_QUERY_TIMEOUT_MS' | 'DATABASE_POOLER'>,
  service: string,
  releasers: Releasers,
): Kysely<Database> {
  const db = createDb(env.DATABASE_URL, {
    max: env.DATABASE_POOL_MAX,
    applicationName: service,
    queryTimeoutMillis: env.DATABASE_QUERY_TIMEOUT_MS,
    pooler: env.DATABASE_POOLER,
  });
  releasers.add('postgres', () => db.destroy());
  return db;
}

/** The BullMQ producer on the service's connection, closed on release (before that connection goes). */
export function openProducer(redis: RedisClient, prefix: string, releasers: Releasers): TaskProducer {
  const producer = new TaskProducer(redis, prefix);
  releasers.add('task producer', () => producer.close());
  return producer;
}

/** The readiness every service reports: its Postgres and its Redis (every master of a cluster) answer. */
export function connectionChecks(db: Kysely<Database>, redis: RedisClient): Record<string, ReadinessCheck> {
  return { postgres: () => sql`select 1`.execute(db), redis: () => pingEveryMaster(redis) };
}
