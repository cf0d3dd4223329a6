import type { Database } from '@conveyor/db';
import { type Logger, createHttpMetrics } from '@conveyor/observability';
import type { TaskProducer } from '@conveyor/queue';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { authenticate } from './middleware/authenticate';
import { errorHandler, notFound } from './middleware/error-handler';
import { httpMetrics } from './middleware/http-metrics';
import { requestContext } from './middleware/request-context';
import { healthRouter } from './routes/health';
import { tasksRouter } from './routes/tasks';

export interface ServerDeps {
  db: Kysely<Database>;
  redis: Redis;
  producer: TaskProducer;
  logger: Logger;
  registry: Registry;
  bodyLimitBytes: number;
  retryAfterSeconds: number;
}

/** The API as an Express app without listen(), so tests drive it with supertest. */
export function createServer(deps: ServerDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestContext);
  app.use(httpMetrics(createHttpMetrics(deps.registry), deps.logger));
  app.use(healthRouter(deps));

  const v1 = express.Router();
  v1.use((_req, res, next) => {
    res.locals.routeBase = '/api/v1';
    next();
  });
  v1.use(express.json({ limit: deps.bodyLimitBytes }));
  v1.use(authenticate(deps.db));
  v1.use(tasksRouter(deps));
  app.use('/api/v1', v1);

  app.use(notFound);
  app.use(errorHandler(deps.logger, deps.retryAfterSeconds));
  return app;
}
