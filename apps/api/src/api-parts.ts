import type { ApiEnv } from '@conveyor/config';
import { QUEUE_NAMES, TaskPolicies, buildPriceBook } from '@conveyor/contracts';
import { CostTracker } from '@conveyor/cost-tracker';
import { registerLiveWorkers } from '@conveyor/observability';
import { type RedisClient, TaskEventPublisher, type TaskProducer, WatchRegistry, listWorkers } from '@conveyor/queue';
import { type ServiceContext, openProducer, openRedis } from '@conveyor/service';
import { resolve } from 'node:path';
import type { Express } from 'express';
import { IngestionSetup } from './ingestion-setup';
import { createServer } from './server';
import { TaskEventHub } from './task-event-hub';

/** apps/console/dist, seen from this file (apps/api/src, or apps/api/dist once built). */
const CONSOLE_DIST_BESIDE_API = resolve(__dirname, '..', '..', 'console', 'dist');

export interface ApiParts {
  app: Express;
  hub: TaskEventHub;
  producer: TaskProducer;
  events: TaskEventPublisher;
  /** The rate-limit counters' connection. */
  counters: RedisClient;
}

/**
 * The API's own parts on top of the service's shared ones: its producer, the connections of
 * the rate-limit counters and of the live-event subscriptions, the event hub and the Express
 * app (without listen()). main.ts and the tests' harness both build the API here.
 */
export function createApiParts(context: Omit<ServiceContext<ApiEnv>, 'serveHealth'>, options: { eventsPollMs?: number } = {}): ApiParts {
  const { env, db, redis, logger, registry, releasers } = context;
  const producer = openProducer(redis, env.BULLMQ_PREFIX, releasers);
  // Every request counts against its tenant's rate limit: those counters share pipelines.
  const counters = openRedis(env, 'pipelined', releasers);
  // Subscriptions wait out a Redis restart and resubscribe by themselves.
  const subscriber = openRedis(env, 'worker', releasers);
  const hub = new TaskEventHub(subscriber, env.BULLMQ_PREFIX, logger, new WatchRegistry(redis, env.BULLMQ_PREFIX), {
    perTenant: env.API_EVENT_STREAMS_PER_TENANT,
    perProcess: env.API_EVENT_STREAMS_PER_PROCESS,
  });
  const events = new TaskEventPublisher(redis, env.BULLMQ_PREFIX);
  // The sources exist before anyone changes them: set up now, in the background (Postgres may
  // be down), and again by the ingestion routes until it has worked.
  const ingestion = new IngestionSetup(db, env.INGESTION_AUTOSTART);
  ingestion.ready().catch((error: unknown) => logger.warn('ingestion sources not set up yet; the ingestion routes retry', { error }));
  releasers.add('ingestion set-up', () => ingestion.settled());
  registerLiveWorkers(registry, QUEUE_NAMES, () => listWorkers(redis, env.BULLMQ_PREFIX));
  // Priced as the LLM workers price their reservations (a bad override stops the API as it stops them).
  const priceBook = buildPriceBook(env.INFERENCE_ROUTES, env.MODEL_PRICES);
  const app = createServer({
    db,
    redis,
    rateLimitRedis: counters,
    producer,
    events,
    hub,
    policies: new TaskPolicies(env.TASK_OVERRIDES),
    logger,
    registry,
    costs: new CostTracker(db, logger, registry, undefined, env.PLAN_ACTION_LIMITS),
    priceBook,
    bodyLimitBytes: env.API_BODY_LIMIT_BYTES,
    batchBodyLimitBytes: env.API_BATCH_BODY_LIMIT_BYTES,
    retryAfterSeconds: env.API_RETRY_AFTER_SECONDS,
    keyCacheMs: env.API_KEY_CACHE_MS,
    authFailuresPerMinute: env.API_AUTH_FAILURES_PER_MINUTE,
    eventStreamMaxMs: env.API_EVENT_STREAM_MAX_MS,
    eventsPollMs: options.eventsPollMs,
    rateLimits: { perMinute: env.API_RATE_LIMITS, keyPrefix: env.BULLMQ_PREFIX },
    defaultXTier: env.X_API_TIER,
    ingestion,
    uploadLimits: env.DATASET_UPLOAD_LIMITS,
    budgetAlertAllowHosts: env.BUDGET_ALERT_ALLOW_HOSTS,
    // Each upload holds a pooled connection while it streams: at most half the pool, so the
    // other routes keep theirs.
    uploadSlots: { perTenant: 2, perProcess: Math.max(1, Math.floor(env.DATABASE_POOL_MAX / 2)) },
    console: {
      sessions: { ttlSeconds: env.CONSOLE_SESSION_TTL_SECONDS, maxLifetimeSeconds: env.CONSOLE_SESSION_MAX_SECONDS, secure: env.CONSOLE_COOKIE_SECURE },
      distDir: resolve(env.CONSOLE_DIST ?? CONSOLE_DIST_BESIDE_API),
    },
  });
  return { app, hub, producer, events, counters };
}
