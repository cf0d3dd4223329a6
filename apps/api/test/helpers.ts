import { PassThrough } from 'node:stream';
import { type Database, createDb, createTenantWithKey, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { type Logger, createLogger, createMetricsRegistry } from '@conveyor/observability';
import { TaskProducer, createProducerRedis } from '@conveyor/queue';
import { TEST_REDIS_URL, createTestDatabase, deleteKeysWithPrefix, uniquePrefix, waitFor } from '@conveyor/testkit';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { createServer } from '../src/server';

export const quietLogger = (): Logger => createLogger({ service: 'api-test', stream: new PassThrough() });

export interface Harness {
  app: Express;
  db: Kysely<Database>;
  redis: Redis;
  producer: TaskProducer;
  prefix: string;
  keyA: string;
  keyB: string;
  close: () => Promise<void>;
}

/** The real API on this file's own database and BullMQ prefix, with two tenants. */
export async function startHarness(overrides: { redisUrl?: string; databaseUrl?: string } = {}): Promise<Harness> {
  const testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const db = createDb(testDb.url);
  const keyA = (await createTenantWithKey(db, { name: 'tenant-a', plan: 'trial' })).apiKey;
  const keyB = (await createTenantWithKey(db, { name: 'tenant-b', plan: 'growth' })).apiKey;
  const appDb = overrides.databaseUrl ? createDb(overrides.databaseUrl, { connectionTimeoutMillis: 500 }) : db;
  const prefix = uniquePrefix('api');
  const redis = createProducerRedis(overrides.redisUrl ?? TEST_REDIS_URL);
  redis.on('error', () => undefined);
  if (!overrides.redisUrl) await waitFor(async () => (redis.status === 'ready' ? true : undefined), 'redis');
  const producer = new TaskProducer(redis, prefix);
  const app = createServer({ db: appDb, redis, producer, logger: quietLogger(), registry: createMetricsRegistry('api-test'), bodyLimitBytes: 10_000, retryAfterSeconds: 7 });
  return {
    app, db, redis, producer, prefix, keyA, keyB,
    close: async () => {
      await producer.close();
      redis.disconnect();
      if (appDb !== db) await appDb.destroy();
      await db.destroy();
      await testDb.drop();
      await deleteKeysWithPrefix(prefix);
    },
  };
}
