import type { BaseEnv } from '@conveyor/config';
import type { Database } from '@conveyor/db';
import { type Logger, type ReadinessCheck, createMetricsRegistry, registerDependencyGauge, startHealthServer } from '@conveyor/observability';
import type { RedisClient } from '@conveyor/queue';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { type RedisKind, connectionChecks, openDb, openRedis } from './connections';
import { Releasers } from './releasers';

/** What an app's start() gets: the shared parts, ready to use. */
export interface ServiceContext<E extends BaseEnv> {
  service: string;
  env: E;
  logger: Logger;
  registry: Registry;
  db: Kysely<Database>;
  /** The service's own Redis connection (errors are logged as warnings). */
  redis: RedisClient;
  /** Where the app registers the release of what it acquires: these run first on shutdown, last-acquired-first. */
  releasers: Releasers;
  /**
   * Serves /healthz, /readyz (Postgres, Redis and `checks`) and /metrics, for apps without an
   * HTTP server of their own. It closes after the app's own resources, so that /readyz keeps
   * answering 503 while the app drains its work.
   */
  serveHealth: (port: number, checks?: Record<string, ReadinessCheck>) => Promise<{ port: number }>;
}

export interface ServiceOptions<E extends BaseEnv> {
  /** The name in logs, metrics and pg_stat_activity. */
  service: string;
  /** The kind of the service's Redis connection (see RedisKind). */
  redis: Exclude<RedisKind, 'pipelined'>;
  /** Acquires and starts the app's own parts; resolves once the app is ready. */
  start: (context: ServiceContext<E>) => Promise<void>;
}

export interface RunningService {
  /** Reports "shutting down", then releases the app's parts and the shared ones, each last-acquired-first. */
  stop: () => Promise<void>;
}

/**
 * Opens the shared parts (metrics registry, Redis, Postgres), runs the app's start() and
 * returns how to stop it all. If start() fails, whatever was acquired is released before the
 * error is rethrown. Process concerns (config, signals, exit codes) are runService's.
 */
export async function startService<E extends BaseEnv>(env: E, logger: Logger, options: ServiceOptions<E>): Promise<RunningService> {
  const shared = new Releasers(logger);
  const own = new Releasers(logger);
  let shuttingDown = false;
  const stop = async () => {
    shuttingDown = true;
    // The app's parts use the shared ones: they go first, and the shared ones go even if one of them failed.
    await own.release().finally(() => shared.release());
  };
  try {
    const registry = createMetricsRegistry(options.service);
    const redis = openRedis(env, options.redis, shared, (error) => logger.warn('redis connection error', { error }));
    const db = openDb(env, options.service, shared);
    // conveyor_dependency_up{dependency}: the readiness checks of Postgres and Redis, run at each scrape.
    registerDependencyGauge(registry, connectionChecks(db, redis));
    const serveHealth = async (port: number, checks: Record<string, ReadinessCheck> = {}) => {
      const health = await startHealthServer({
        host: env.HOST,
        port,
        registry,
        logger,
        isShuttingDown: () => shuttingDown,
        checks: { ...connectionChecks(db, redis), ...checks },
      });
      shared.add('health server', health.close);
      return health;
    };
    await options.start({ service: options.service, env, logger, registry, db, redis, releasers: own, serveHealth });
  } catch (error) {
    // Each release that fails has been logged; the start-up error is the one to report.
    await stop().catch(() => undefined);
    throw error;
  }
  return { stop };
}
