import { PassThrough, type Writable } from 'node:stream';
import { type Database, claimTask, createDb, createAdminKey, createTenantWithKey, failTask, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { type ApiEnv, apiEnvSchema, parseEnv } from '@conveyor/config';
import { type Logger, createLogger } from '@conveyor/observability';
import type { RedisClient, TaskEventPublisher, TaskProducer } from '@conveyor/queue';
import { startService } from '@conveyor/service';
import { TEST_REDIS_URL, acquireTestDatabase, deleteKeysWithPrefix, uniquePrefix, waitFor } from '@conveyor/testkit';
import type { Express } from 'express';
import type { Kysely } from 'kysely';
import { type ApiParts, createApiParts } from '../src/api-parts';
import type { StreamLimits } from '../src/task-event-hub';

/** A logger writing nowhere, or every line down to debug into `stream` for a test to read. */
export const quietLogger = (stream?: Writable): Logger =>
  createLogger({ service: 'api-test', stream: stream ?? new PassThrough(), ...(stream ? { level: 'debug' } : {}) });

/** Fails a queued task for good, as a worker would (claim, then a final failure): a dead letter. */
export async function failForGood(db: Kysely<Database>, id: string, message = 'broken'): Promise<string> {
  const claim = (await claimTask(db, id))!;
  await failTask(db, { ...claim, error: { type: 'Boom', message }, retentionMs: 60_000 });
  return id;
}

export interface Harness {
  app: Express;
  db: Kysely<Database>;
  redis: RedisClient;
  /** The connection of the rate-limit counters. */
  counters: RedisClient;
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
  rateLimits?: Partial<typeof GENEROUS_LIMITS>;
  /** Unknown-key requests per address per minute (default: more than any test sends). */
  authFailuresPerMinute?: number;
  /** Milliseconds an API key is cached (default 0: looked up every time). */
  keyCacheMs?: number;
  streams?: StreamLimits;
  eventStreamMaxMs?: number;
  /** Where the API's log lines go (by default nowhere), for tests that read them. */
  logStream?: Writable;
  /** X_API_TIER: the tier of an X account registered without one. */
  xApiTier?: string;
  /** INGESTION_AUTOSTART (default 'false'). */
  ingestionAutostart?: string;
  /** DATASET_UPLOAD_LIMITS: bytes of a dataset upload by plan (default: the defaults). */
  uploadLimits?: Partial<Record<'trial' | 'starter' | 'growth' | 'admin', number>>;
  /** More of the API's variables (CONSOLE_*), as the environment would give them. */
  env?: Record<string, string>;
  /** BUDGET_ALERT_ALLOW_HOSTS: webhook hosts exempt from the private-address check (default none). */
  budgetAlertAllowHosts?: string;
}

/** The API's environment in a test: this file's database and prefix, small bodies, generous limits. */
function harnessEnv(overrides: HarnessOptions, databaseUrl: string, prefix: string): ApiEnv {
  const optional = (value: number | undefined) => (value === undefined ? undefined : String(value));
  return parseEnv(apiEnvSchema, {
    DATABASE_URL: overrides.databaseUrl ?? databaseUrl,
    REDIS_URL: overrides.redisUrl ?? TEST_REDIS_URL,
    BULLMQ_PREFIX: prefix,
    API_BODY_LIMIT_BYTES: '10000',
    API_BATCH_BODY_LIMIT_BYTES: '200000',
    API_RETRY_AFTER_SECONDS: '7',
    API_KEY_CACHE_MS: String(overrides.keyCacheMs ?? 0),
    API_AUTH_FAILURES_PER_MINUTE: String(overrides.authFailuresPerMinute ?? 100_000),
    API_RATE_LIMITS: JSON.stringify({ ...GENEROUS_LIMITS, ...overrides.rateLimits }),
    API_EVENT_STREAMS_PER_TENANT: String(overrides.streams?.perTenant ?? 1_000_000),
    API_EVENT_STREAMS_PER_PROCESS: String(overrides.streams?.perProcess ?? 1_000_000),
    API_EVENT_STREAM_MAX_MS: optional(overrides.eventStreamMaxMs),
    X_API_TIER: overrides.xApiTier,
    // As in every test stack: the sources' schedules start disabled (tests that need them enable them).
    INGESTION_AUTOSTART: overrides.ingestionAutostart ?? 'false',
    DATASET_UPLOAD_LIMITS: overrides.uploadLimits ? JSON.stringify(overrides.uploadLimits) : undefined,
    ...overrides.env,
    BUDGET_ALERT_ALLOW_HOSTS: overrides.budgetAlertAllowHosts,
  });
}

export async function startHarness(overrides: HarnessOptions = {}): Promise<Harness> {
  const testDb = await acquireTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const db = createDb(testDb.url);
  const a = await createTenantWithKey(db, { name: 'tenant-a', plan: 'trial' });
  const keyA = a.apiKey;
  const keyB = (await createTenantWithKey(db, { name: 'tenant-b', plan: 'growth' })).apiKey;
  const adminKey = await createAdminKey(db);
  const prefix = uniquePrefix('api');
  // The API's parts as main.ts builds them, on the service's shared connections.
  let redis!: RedisClient;
  let parts!: ApiParts;
  const service = await startService(harnessEnv(overrides, testDb.url, prefix), quietLogger(overrides.logStream), {
    service: 'api-test',
    redis: 'producer',
    start: async (context) => {
      redis = context.redis;
      parts = createApiParts(context, { eventsPollMs: 200 });
    },
  });
  if (!overrides.redisUrl) await waitFor(async () => (redis.status === 'ready' && parts.counters.status === 'ready' ? true : undefined), 'redis');
  const { app, producer, events, hub } = parts;
  return {
    app,
    db,
    redis,
    counters: parts.counters,
    producer,
    events,
    prefix,
    keyA,
    keyB,
    adminKey,
    tenantA: a.tenant.id,
    close: async () => {
      hub.endAllStreams();
      await service.stop();
      await db.destroy();
      await testDb.release();
      await deleteKeysWithPrefix(prefix);
    },
  };
}
