import { loadConfigOrExit, workerDefaultPort, workerEnvSchema } from '@conveyor/config';
import { type QueueName, TaskPolicies } from '@conveyor/contracts';
import { type Database, createDb } from '@conveyor/db';
import {
  createLogger,
  createMetricsRegistry,
  type Logger,
  createTaskMetrics,
  exitOnFatalError,
  exitOnStartupFailure,
  onShutdownSignal,
  startHealthServer,
} from '@conveyor/observability';
import { type Kysely, sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { QueueHandlers } from './handlers';
import { checkEvictionPolicy, createWorkerRedis } from './redis';
import { TaskEventPublisher } from './task-events';
import { TaskWorker } from './task-worker';
import { WatchedTasks } from './watched-tasks';

/** What a worker app's handlers may need from the runtime's own connections. */
export interface WorkerAppDeps {
  db: Kysely<Database>;
  logger: Logger;
  registry: Registry;
  service: string;
}

export interface WorkerAppOptions<Q extends QueueName> {
  queue: Q;
  /** The handlers, or a function that builds them from the app's connections (at start, before any job). */
  handlers: QueueHandlers<Q> | ((deps: WorkerAppDeps) => QueueHandlers<Q> | Promise<QueueHandlers<Q>>);
  /** The app's health/metrics port unless WORKER_PORT says otherwise; by default the app registry's for its queue. */
  defaultPort?: number;
}

/**
 * Everything a worker app does besides its handlers: config, logging, metrics, Postgres,
 * Redis, the BullMQ worker on its one queue, /healthz /readyz /metrics, and a graceful
 * SIGTERM (stop taking jobs, finish the active ones, exit).
 */
export function runWorkerApp<Q extends QueueName>(options: WorkerAppOptions<Q>): void {
  const service = `worker-${options.queue}`;
  const env = loadConfigOrExit(workerEnvSchema(options.defaultPort ?? workerDefaultPort(options.queue)), service);
  const logger = createLogger({ service, level: env.LOG_LEVEL, format: env.LOG_FORMAT });
  exitOnFatalError(logger);
  const registry = createMetricsRegistry(service);
  const db = createDb(env.DATABASE_URL, { max: env.DATABASE_POOL_MAX, applicationName: service, queryTimeoutMillis: env.DATABASE_QUERY_TIMEOUT_MS });
  const redis = createWorkerRedis(env.REDIS_URL);
  redis.on('error', (error) => logger.warn('redis connection error', { error }));
  let shuttingDown = false;

  const start = async () => {
    const eviction = await checkEvictionPolicy(redis);
    if (eviction.ok === false) {
      if (env.NODE_ENV !== 'development') throw new Error(`${eviction.problem}. Refusing to start (only NODE_ENV=development runs anyway).`);
      logger.warn(`${eviction.problem}; running anyway because NODE_ENV=development`);
    } else if (eviction.ok === 'unknown') {
      logger.warn(eviction.problem);
    }
    const handlers = typeof options.handlers === 'function' ? await options.handlers({ db, logger, registry, service }) : options.handlers;
    // One subscriber connection for revokes and for the watch announcements that limit live
    // events to the tasks some client streams. The worker disconnects it when it closes.
    const subscriber = redis.duplicate({ connectionName: `${service}-subscriber` });
    const watched = new WatchedTasks(redis, env.BULLMQ_PREFIX);
    await watched.start(subscriber);
    const worker = new TaskWorker({
      queue: options.queue,
      handlers: handlers as never,
      policies: new TaskPolicies(env.TASK_OVERRIDES),
      db,
      logger,
      metrics: createTaskMetrics(registry),
      events: new TaskEventPublisher(redis, env.BULLMQ_PREFIX, watched),
      dbRetryMaxMs: env.DB_RETRY_MAX_MS,
      connection: redis,
      prefix: env.BULLMQ_PREFIX,
      concurrency: env.WORKER_CONCURRENCY,
      lockDurationMs: env.WORKER_LOCK_MS,
      stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
    });
    await worker.listenForCancels(subscriber);
    const health = await startHealthServer({
      host: env.HOST,
      port: env.WORKER_PORT,
      registry,
      logger,
      isShuttingDown: () => shuttingDown,
      checks: {
        postgres: () => sql`select 1`.execute(db),
        redis: () => redis.ping(),
        handlers: async () => {
          if (worker.abandoned.overLimit) throw new Error(`${worker.abandoned.count} abandoned handlers still running; taking no new jobs`);
        },
      },
    });
    await worker.waitUntilReady();
    logger.info('worker ready', { queue: options.queue, concurrency: env.WORKER_CONCURRENCY, prefix: env.BULLMQ_PREFIX });

    onShutdownSignal(logger, async () => {
      shuttingDown = true;
      await worker.close(env.SHUTDOWN_GRACE_MS);
      watched.close();
      await health.close();
      await db.destroy();
      redis.disconnect();
    });
  };
  start().catch(exitOnStartupFailure(logger));
}
