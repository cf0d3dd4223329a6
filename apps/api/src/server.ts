import type { TaskPolicies } from '@conveyor/contracts';
import type { CostTracker } from '@conveyor/cost-tracker';
import { type Database, findPrincipalByKey } from '@conveyor/db';
import { type Logger, createHttpMetrics } from '@conveyor/observability';
import type { TaskEventPublisher, TaskProducer } from '@conveyor/queue';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { authenticate } from './middleware/authenticate';
import { errorHandler, notFound } from './middleware/error-handler';
import { PrincipalCache } from './principal-cache';
import { httpMetrics } from './middleware/http-metrics';
import { type RateLimitSettings, rateLimit } from './middleware/rate-limit';
import { requestContext } from './middleware/request-context';
import { storableJson } from './middleware/storable-json';
import { adminRouter } from './routes/admin';
import { DEAD_LETTERS_PAGE_PATH, deadLettersPageRouter } from './routes/dead-letters-page';
import { DOCS_PATH, docsRouter } from './routes/docs';
import { healthRouter } from './routes/health';
import { DASHBOARD_PATH, queueDashboardRouter } from './routes/queue-dashboard';
import { schedulesRouter } from './routes/schedules';
import { taskActionsRouter } from './routes/task-actions';
import { taskEventsRouter } from './routes/task-events';
import { tasksRouter } from './routes/tasks';
import { usageRouter } from './routes/usage';
import { SubmissionWrites } from './submission-writes';
import type { TaskEventHub } from './task-event-hub';

export interface ServerDeps {
  db: Kysely<Database>;
  redis: Redis;
  /** The connection of the rate-limit counters; by default `redis`. */
  rateLimitRedis?: Redis;
  producer: TaskProducer;
  events: TaskEventPublisher;
  hub: TaskEventHub;
  policies: TaskPolicies;
  costs: CostTracker;
  logger: Logger;
  registry: Registry;
  bodyLimitBytes: number;
  batchBodyLimitBytes: number;
  retryAfterSeconds: number;
  /** Milliseconds between an event stream's re-reads of Postgres. */
  eventsPollMs?: number;
  /** Milliseconds an API key's principal is remembered (0: looked up on every request). */
  keyCacheMs?: number;
  /** Requests per minute per tenant by plan (429 past it). */
  rateLimits: RateLimitSettings;
}

/** The API as an Express app without listen(), so tests drive it with supertest. */
export function createServer(deps: ServerDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestContext);
  app.use(httpMetrics(createHttpMetrics(deps.registry), deps.logger));
  app.use(healthRouter(deps));
  app.use(DOCS_PATH, docsRouter());
  const principals = new PrincipalCache((key) => findPrincipalByKey(deps.db, key), deps.keyCacheMs ?? 0);
  app.use(DASHBOARD_PATH, queueDashboardRouter({ producer: deps.producer, principals }));
  app.use(DEAD_LETTERS_PAGE_PATH, deadLettersPageRouter({ ...deps, principals }));

  const v1 = express.Router();
  v1.use((_req, res, next) => {
    res.locals.routeBase = '/api/v1';
    next();
  });
  // The batch route takes larger bodies; body-parser skips a body that is already parsed.
  v1.use('/tasks/batch', express.json({ limit: deps.batchBodyLimitBytes }));
  v1.use(express.json({ limit: deps.bodyLimitBytes }));
  v1.use(storableJson);
  v1.use(authenticate(principals));
  v1.use(rateLimit(deps.rateLimitRedis ?? deps.redis, deps.rateLimits, deps.logger));
  // The busiest routes first: every router a request passes costs it a path match.
  v1.use(tasksRouter({ ...deps, submissions: new SubmissionWrites(deps.db, deps.producer) }));
  v1.use(taskEventsRouter({ db: deps.db, hub: deps.hub, pollMs: deps.eventsPollMs }));
  v1.use(taskActionsRouter(deps));
  v1.use(adminRouter(deps));
  v1.use(usageRouter(deps.costs));
  v1.use(schedulesRouter(deps));
  app.use('/api/v1', v1);

  app.use(notFound);
  app.use(errorHandler(deps.logger, deps.retryAfterSeconds));
  return app;
}
