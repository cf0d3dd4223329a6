import { apiEnvSchema, loadConfigOrExit } from '@conveyor/config';
import { createDb } from '@conveyor/db';
import { createLogger, createMetricsRegistry, exitOnStartupFailure, onShutdownSignal } from '@conveyor/observability';
import { TaskProducer, createProducerRedis } from '@conveyor/queue';
import { createServer } from './server';

const env = loadConfigOrExit(apiEnvSchema, 'api');
const logger = createLogger({ service: 'api', level: env.LOG_LEVEL, format: env.LOG_FORMAT });
const db = createDb(env.DATABASE_URL, { max: env.DATABASE_POOL_MAX, applicationName: 'api' });
const redis = createProducerRedis(env.REDIS_URL);
redis.on('error', (error) => logger.warn('redis connection error', { error }));
const producer = new TaskProducer(redis, env.BULLMQ_PREFIX);
const app = createServer({
  db,
  redis,
  producer,
  logger,
  registry: createMetricsRegistry('api'),
  bodyLimitBytes: env.API_BODY_LIMIT_BYTES,
  retryAfterSeconds: env.API_RETRY_AFTER_SECONDS,
});

const server = app.listen(env.API_PORT, env.HOST, () => {
  logger.info('api listening', { url: `http://${env.HOST}:${env.API_PORT}`, prefix: env.BULLMQ_PREFIX });
});
server.on('error', exitOnStartupFailure(logger));

onShutdownSignal(logger, async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await producer.close();
  await db.destroy();
  redis.disconnect();
});
