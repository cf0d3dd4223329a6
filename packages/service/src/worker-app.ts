import { type WorkerEnv, workerDefaultPort, workerEnvSchema } from '@conveyor/config';
import { type QueueName, TaskPolicies } from '@conveyor/contracts';
import type { Database } from '@conveyor/db';
import { type Logger, createTaskMetrics, instanceId, registerQueueDepth } from '@conveyor/observability';
import {
  FollowUpTasks,
  type QueueHandlers,
  type RedisClient,
  TaskEventPublisher,
  TaskProducer,
  TaskWorker,
  WatchedTasks,
  WorkerRegistration,
  checkEvictionPolicy,
  duplicateRedis,
  readQueueDepth,
} from '@conveyor/queue';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { appVersion } from './app-version';
import { runService } from './run-service';
import type { ServiceContext } from './start-service';

/** What a worker app's handlers may need from the runtime's own connections. */
export interface WorkerAppDeps {
  db: Kysely<Database>;
  logger: Logger;
  registry: Registry;
  service: string;
  env: WorkerEnv;
  /** The app's Redis connection, for state its handlers share across processes (rate limits). */
  redis: RedisClient;
  /** Submits tasks from a handler (committed, then enqueued). */
  followUps: FollowUpTasks;
}

export interface WorkerAppOptions<Q extends QueueName> {
  queue: Q;
  /** The handlers, or a function that builds them from the app's connections (at start, before any job). */
  handlers: QueueHandlers<Q> | ((deps: WorkerAppDeps) => QueueHandlers<Q> | Promise<QueueHandlers<Q>>);
  /** The app's health/metrics port unless WORKER_PORT says otherwise; by default the app registry's for its queue. */
  defaultPort?: number;
}

/**
 * Everything a worker app does besides its handlers: runService's shared parts, the BullMQ
 * worker on its one queue, /healthz /readyz /metrics, and a graceful SIGTERM (stop taking
 * jobs, finish the active ones, exit).
 */
export function runWorkerApp<Q extends QueueName>(options: WorkerAppOptions<Q>): void {
  runService({
    service: `worker-${options.queue}`,
    schema: workerEnvSchema(options.defaultPort ?? workerDefaultPort(options.queue)),
    redis: 'worker',
    start: (context) => startWorker(context, options),
  });
}

/** BullMQ loses jobs on a Redis that may evict keys: refuse one, except in development. */
async function refuseEvictingRedis({ env, logger, redis }: ServiceContext<WorkerEnv>): Promise<void> {
  const eviction = await checkEvictionPolicy(redis);
  if (eviction.ok === false) {
    if (env.NODE_ENV !== 'development') throw new Error(`${eviction.problem}. Refusing to start (only NODE_ENV=development runs anyway).`);
    logger.warn(`${eviction.problem}; running anyway because NODE_ENV=development`);
  } else if (eviction.ok === 'unknown') {
    logger.warn(eviction.problem);
  }
}

async function startWorker<Q extends QueueName>(context: ServiceContext<WorkerEnv>, options: WorkerAppOptions<Q>): Promise<void> {
  const { service, env, logger, registry, db, redis, releasers } = context;
  await refuseEvictingRedis(context);
  const policies = new TaskPolicies(env.TASK_OVERRIDES);
  const producer = new TaskProducer(redis, env.BULLMQ_PREFIX);
  releasers.add('follow-up producer', () => producer.close());
  const followUps = new FollowUpTasks(db, producer, policies);
  const handlers = typeof options.handlers === 'function' ? await options.handlers({ db, logger, registry, service, env, redis, followUps }) : options.handlers;
  // One subscriber connection for revokes and for the watch announcements that limit live
  // events to the tasks some client streams. The worker disconnects it when it closes.
  const subscriber = duplicateRedis(redis, `${service}-subscriber`);
  const watched = new WatchedTasks(redis, env.BULLMQ_PREFIX);
  await watched.start(subscriber);
  releasers.add('watched tasks', () => watched.close());
  const worker = new TaskWorker({
    queue: options.queue,
    handlers: handlers as never,
    policies,
    db,
    logger,
    metrics: createTaskMetrics(registry),
    events: new TaskEventPublisher(redis, env.BULLMQ_PREFIX, watched),
    dbRetryMaxMs: env.DB_RETRY_MAX_MS,
    connection: redis,
    prefix: env.BULLMQ_PREFIX,
    concurrency: env.WORKER_CONCURRENCY,
    prefetch: env.WORKER_PREFETCH,
    lockDurationMs: env.WORKER_LOCK_MS,
    stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
  });
  // In the worker registry (GET /api/v1/workers) while it runs, draining included: released
  // after the worker closed (releasers run last-acquired-first).
  const registration = new WorkerRegistration({
    redis,
    prefix: env.BULLMQ_PREFIX,
    instance: instanceId(),
    queue: options.queue,
    concurrency: env.WORKER_CONCURRENCY,
    version: appVersion(env.BUILD_ID),
    active: () => worker.activeCount,
    heartbeatMs: env.WORKER_HEARTBEAT_MS,
    onError: (error) => logger.warn('worker registry heartbeat failed; the next one tries again', { error }),
  });
  releasers.add('worker registry entry', () => registration.stop());
  // Stops taking jobs and lets the active ones finish (or releases them past the grace period).
  releasers.add('task worker', () => worker.close(env.SHUTDOWN_GRACE_MS));
  await registration.start();
  await worker.listenForCancels(subscriber);
  registerQueueDepth(registry, options.queue, () => readQueueDepth(redis, env.BULLMQ_PREFIX, options.queue));
  await context.serveHealth(env.WORKER_PORT, {
    handlers: async () => {
      if (worker.abandoned.overLimit) throw new Error(`${worker.abandoned.count} abandoned handlers still running; taking no new jobs`);
    },
  });
  await worker.waitUntilReady();
  logger.info('worker ready', { queue: options.queue, concurrency: env.WORKER_CONCURRENCY, prefix: env.BULLMQ_PREFIX });
}
