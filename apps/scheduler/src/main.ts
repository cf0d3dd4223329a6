import { loadConfigOrExit, schedulerEnvSchema } from '@conveyor/config';
import { createDb } from '@conveyor/db';
import { createLogger, createMetricsRegistry, exitOnStartupFailure, onShutdownSignal, startHealthServer } from '@conveyor/observability';
import { createWorkerRedis } from '@conveyor/queue';
import { sql } from 'kysely';

// The scheduler's tick (schedules, reconciler, retention) arrives with its own issues; for now
// it connects, reports health and stops cleanly, so deployments can already run it.
const env = loadConfigOrExit(schedulerEnvSchema, 'scheduler');
const logger = createLogger({ service: 'scheduler', level: env.LOG_LEVEL, format: env.LOG_FORMAT });
const db = createDb(env.DATABASE_URL, { max: env.DATABASE_POOL_MAX, applicationName: 'scheduler' });
const redis = createWorkerRedis(env.REDIS_URL);
redis.on('error', (error) => logger.warn('redis connection error', { error }));
let shuttingDown = false;

startHealthServer({
  host: env.HOST,
  port: env.SCHEDULER_PORT,
  registry: createMetricsRegistry('scheduler'),
  logger,
  isShuttingDown: () => shuttingDown,
  checks: { postgres: () => sql`select 1`.execute(db), redis: () => redis.ping() },
}).then((health) => {
  logger.info('scheduler ready');
  onShutdownSignal(logger, async () => {
    shuttingDown = true;
    await health.close();
    await db.destroy();
    redis.disconnect();
  });
}, exitOnStartupFailure(logger));
