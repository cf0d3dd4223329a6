import { PassThrough } from 'node:stream';
import { type Database, claimTask, createDb, createAdminKey, createTenantWithKey, failTask, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { type Logger, createLogger, createMetricsRegistry } from '@conveyor/observability';
import { TaskPolicies } from '@conveyor/contracts';
import { CostTracker } from '@conveyor/cost-tracker';
import { TaskEventPublisher, TaskProducer, WatchRegistry, createPipelinedRedis, createProducerRedis, createWorkerRedis } from '@conveyor/queue';
import { TEST_REDIS_URL, createTestDatabase, deleteKeysWithPrefix, uniquePrefix, waitFor } from '@conveyor/testkit';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { createServer } from '../src/server';
import { type StreamLimits, TaskEventHub } from '../src/task-event-hub';

export const quietLogger = (): Logger => createLogger({ service: 'api-test', stream: new PassThrough() });

/** Fails a queued task for good, as a worker would (claim, then a final failure): a dead letter. */
export async function failForGood(db: Kysely<Database>, id: string, message = 'broken'): Promise<string> {
  const claim = (await claimTask(db, id))!;
  await failTask(db, { ...claim, error: { type: 'Boom', message }, retentionMs: 60_000 });
  return id;
}

export interface Harness {
  app: Express;
  db: Kysely<Database>;
  redis: Redis;
  producer: TaskProducer;
  events: TaskEventPublisher;
  prefix: string;
  adminKey: string;
  keyA: string;
  /** The id of tenant A (the owner of keyA). */
  tenantA: string;
  keyB: string;
  close: () => Promise<void>;
}

/** The real API on this file's own database and BullMQ prefix, with two tenants. */
/** Rate limits high enough that only the rate-limit tests reach them. */
const GENEROUS_LIMITS = { trial: 1_000_000, starter: 1_000_000, growth: 1_000_000, admin: 1_000_000 };

export interface HarnessOptions {
  redisUrl?: string;
  databaseUrl?: string;
  policies?: TaskPolicies;
  rateLimits?: Partial<typeof GENEROUS_LIMITS>;
  /** Unknown-key requests per address per minute (default: more than any test sends). */
  authFailuresPerMinute?: number;
  /** Milliseconds an API key is cached (default 0: looked up every time). */
  keyCacheMs?: number;
  streams?: StreamLimits;
  eventStreamMaxMs?: number;
}

export async function startHarness(overrides: HarnessOptions = {}): Promise<Harness> {
  const testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const db = createDb(testDb.url);
  const a = await createTenantWithKey(db, { name: 'tenant-a', plan: 'trial' });
  const keyA = a.apiKey;
  const keyB = (await createTenantWithKey(db, { name: 'tenant-b', plan: 'growth' })).apiKey;
  const adminKey = await createAdminKey(db);
  const appDb = overrides.databaseUrl ? createDb(overrides.databaseUrl, { connectionTimeoutMillis: 500 }) : db;
  const prefix = uniquePrefix('api');
  const redis = createProducerRedis(overrides.redisUrl ?? TEST_REDIS_URL);
  redis.on('error', () => undefined);
  // The rate-limit counters have a pipelined connection of their own, as in main.ts.
  const counters = createPipelinedRedis(overrides.redisUrl ?? TEST_REDIS_URL);
  counters.on('error', () => undefined);
  if (!overrides.redisUrl) await waitFor(async () => (redis.status === 'ready' && counters.status === 'ready' ? true : undefined), 'redis');
  const producer = new TaskProducer(redis, prefix);
  const subscriber = createWorkerRedis(overrides.redisUrl ?? TEST_REDIS_URL);
  subscriber.on('error', () => undefined);
  const events = new TaskEventPublisher(redis, prefix);
  const hub = new TaskEventHub(subscriber, prefix, quietLogger(), new WatchRegistry(redis, prefix), overrides.streams);
  const app = createServer({
    db: appDb, redis, rateLimitRedis: counters, producer, events, hub, logger: quietLogger(), registry: createMetricsRegistry('api-test'),
    policies: overrides.policies ?? new TaskPolicies(),
    costs: new CostTracker(appDb, quietLogger()),
    bodyLimitBytes: 10_000, batchBodyLimitBytes: 200_000, retryAfterSeconds: 7, eventsPollMs: 200,
    authFailuresPerMinute: overrides.authFailuresPerMinute ?? 100_000, keyCacheMs: overrides.keyCacheMs, eventStreamMaxMs: overrides.eventStreamMaxMs,
    rateLimits: { perMinute: { ...GENEROUS_LIMITS, ...overrides.rateLimits }, keyPrefix: prefix },
  });
  return {
    app, db, redis, producer, events, prefix, keyA, keyB, adminKey, tenantA: a.tenant.id,
    close: async () => {
      hub.endAllStreams();
      await producer.close();
      redis.disconnect();
      counters.disconnect();
      subscriber.disconnect();
      if (appDb !== db) await appDb.destroy();
      await db.destroy();
      await testDb.drop();
      await deleteKeysWithPrefix(prefix);
    },
  };
}
