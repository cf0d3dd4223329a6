import { apiEnvSchema, loadConfigOrExit } from '@conveyor/config';
import { TaskPolicies } from '@conveyor/contracts';
import { CostTracker } from '@conveyor/cost-tracker';
import { createDb } from '@conveyor/db';
import { createLogger, createMetricsRegistry, exitOnFatalError, exitOnStartupFailure, onShutdownSignal } from '@conveyor/observability';
import { TaskEventPublisher, TaskProducer, WatchRegistry, createPipelinedRedis, createProducerRedis, createWorkerRedis } from '@conveyor/queue';
import { createServer } from './server';
import { TaskEventHub } from './task-event-hub';

const env = loadConfigOrExit(apiEnvSchema, 'api');
const logger = createLogger({ service: 'api', level: env.LOG_LEVEL, format: env.LOG_FORMAT });
exitOnFatalError(logger);
const db = createDb(env.DATABASE_URL, { max: env.DATABASE_POOL_MAX, applicationName: 'api', queryTimeoutMillis: env.DATABASE_QUERY_TIMEOUT_MS });
const redis = createProducerRedis(env.REDIS_URL);
redis.on('error', (error) => logger.warn('redis connection error', { error }));
// Every request counts against its tenant's rate limit: those counters share pipelines.
const counters = createPipelinedRedis(env.REDIS_URL);
counters.on('error', () => undefined);
// Subscriptions wait out a Redis restart and resubscribe by themselves.
const subscriber = createWorkerRedis(env.REDIS_URL);
subscriber.on('error', () => undefined);
const producer = new TaskProducer(redis, env.BULLMQ_PREFIX);
const hub = new TaskEventHub(subscriber, env.BULLMQ_PREFIX, logger, new WatchRegistry(redis, env.BULLMQ_PREFIX), {
  perTenant: env.API_EVENT_STREAMS_PER_TENANT,
  perProcess: env.API_EVENT_STREAMS_PER_PROCESS,
});
const registry = createMetricsRegistry('api');
const app = createServer({
  db,
  redis,
  rateLimitRedis: counters,
  producer,
  events: new TaskEventPublisher(redis, env.BULLMQ_PREFIX),
  hub,
  policies: new TaskPolicies(env.TASK_OVERRIDES),
  logger,
  registry,
  costs: new CostTracker(db, logger, registry),
  bodyLimitBytes: env.API_BODY_LIMIT_BYTES,
  batchBodyLimitBytes: env.API_BATCH_BODY_LIMIT_BYTES,
  retryAfterSeconds: env.API_RETRY_AFTER_SECONDS,
  keyCacheMs: env.API_KEY_CACHE_MS,
  authFailuresPerMinute: env.API_AUTH_FAILURES_PER_MINUTE,
  eventStreamMaxMs: env.API_EVENT_STREAM_MAX_MS,
  rateLimits: { perMinute: env.API_RATE_LIMITS, keyPrefix: env.BULLMQ_PREFIX },
});

const server = app.listen(env.API_PORT, env.HOST, () => {
  logger.info('api listening', { url: `http://${env.HOST}:${env.API_PORT}`, prefix: env.BULLMQ_PREFIX });
});
server.on('error', exitOnStartupFailure(logger));

onShutdownSignal(logger, async () => {
  // Open event streams would hold close() forever; they end here and clients reconnect elsewhere.
  hub.endAllStreams();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await producer.close();
  await db.destroy();
  redis.disconnect();
  counters.disconnect();
  subscriber.disconnect();
});
