import type { PriceBook, TaskPolicies, XTier } from '@conveyor/contracts';
import type { CostTracker } from '@conveyor/cost-tracker';
import { type Database, findPrincipalByKey, findTaskToken, findTenant } from '@conveyor/db';
import { type Logger, createHttpMetrics } from '@conveyor/observability';
import type { RedisClient, TaskEventPublisher, TaskProducer } from '@conveyor/queue';
import express, { type Express } from 'express';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { type ConsoleSessionSettings, ConsoleSessions } from './console-sessions';
import { AuthFailures } from './middleware/auth-failures';
import { authenticate } from './middleware/authenticate';
import { bodyContent } from './middleware/body-content';
import { errorHandler, notFound } from './middleware/error-handler';
import { httpMetrics } from './middleware/http-metrics';
import { jsonBody } from './middleware/json-body';
import { type RateLimitSettings, rateLimit } from './middleware/rate-limit';
import { requestContext } from './middleware/request-context';
import { pageSecurityPolicy, securityHeaders } from './middleware/security-headers';
import { openApiDocument } from './openapi';
import { PrincipalCache } from './principal-cache';
import { RouteTable } from './route-table';
import { adminRouter } from './routes/admin';
import { adminTenantsRouter } from './routes/admin-tenants';
import { addSignInRoutes, sessionRouter } from './routes/auth-session';
import { CONSOLE_PATH, consoleRouter } from './routes/console';
import { deadLettersRouter } from './routes/dead-letters';
import { queuesRouter } from './routes/queues';
import { DEAD_LETTERS_PAGE_PATH, deadLettersPageRouter } from './routes/dead-letters-page';
import { DOCS_PATH, docsRouter } from './routes/docs';
import { healthRouter, rootRouter } from './routes/health';
import { INGESTION_PATH, ingestionRouter } from './routes/ingestion';
import { DASHBOARD_PATH, queueDashboardRouter } from './routes/queue-dashboard';
import { postActionsRouter } from './routes/post-actions';
import { postsRouter } from './routes/posts';
import { schedulesRouter } from './routes/schedules';
import { sessionChatRouter } from './routes/session-chat';
import { sessionDatasetsRouter } from './routes/session-datasets';
import { sessionsRouter } from './routes/sessions';
import { taskActionsRouter } from './routes/task-actions';
import { taskEventsRouter } from './routes/task-events';
import { taskLogsRouter } from './routes/task-logs';
import { taskTokensRouter } from './routes/task-tokens';
import { taskTypesRouter } from './routes/task-types';
import { tasksRouter } from './routes/tasks';
import { usageRouter } from './routes/usage';
import { budgetAlertsRouter } from './routes/budget-alerts';
import { xAccountsRouter } from './routes/x-accounts';
import type { IngestionSetup } from './ingestion-setup';
import { requireAdmin } from './middleware/require-admin';
import { SubmissionWrites } from './submission-writes';
import type { UploadLimits } from './upload-dataset';
import { type SlotLimits, TenantSlots } from './tenant-slots';
import type { TaskEventHub } from './task-event-hub';

export interface ServerDeps {
  db: Kysely<Database>;
  redis: RedisClient;
  /** The connection of the rate-limit counters; by default `redis`. */
  rateLimitRedis?: RedisClient;
  producer: TaskProducer;
  events: TaskEventPublisher;
  hub: TaskEventHub;
  policies: TaskPolicies;
  costs: CostTracker;
  /** The LLM routes and prices (INFERENCE_ROUTES, MODEL_PRICES) the workers reserve with: GET /usage/check prices a call by them. */
  priceBook: PriceBook;
  logger: Logger;
  registry: Registry;
  bodyLimitBytes: number;
  batchBodyLimitBytes: number;
  retryAfterSeconds: number;
  /** Milliseconds between the re-reads of Postgres behind the live-event streams. */
  eventsPollMs?: number;
  /** Milliseconds a live-event stream stays open at most. */
  eventStreamMaxMs?: number;
  /** Requests with unknown keys per client address per minute (default 30). */
  authFailuresPerMinute?: number;
  /** Milliseconds an API key's principal is remembered (0: looked up on every request). */
  keyCacheMs?: number;
  /** Requests per minute per tenant by plan (429 past it). */
  rateLimits: RateLimitSettings;
  /** The tier of an X account registered without one (X_API_TIER; free by default). */
  defaultXTier?: XTier;
  /** The ingestion sources' set-up, awaited by the ingestion routes. */
  ingestion: IngestionSetup;
  /** Bytes of a dataset upload by plan (413 past it). */
  uploadLimits: UploadLimits;
  /** Dataset uploads streaming at once, per tenant and in this process (429 past either; default 2 and 4). */
  uploadSlots?: SlotLimits;
  /** The console: its sign-in sessions, and the folder of its built files (served at /console). */
  console: { sessions: ConsoleSessionSettings; distDir: string };
  /** BUDGET_ALERT_ALLOW_HOSTS: webhook hosts exempt from the private-address check (none by default). */
  budgetAlertAllowHosts?: readonly string[];
}

/** The API as an Express app without listen(), so tests drive it with supertest. */
export function createServer(deps: ServerDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestContext);
  app.use(httpMetrics(createHttpMetrics(deps.registry), deps.logger));
  app.use(securityHeaders);
  const routes = new RouteTable(openApiDocument(), ['/', '/healthz', '/readyz', '/metrics', `${DOCS_PATH}/openapi.json`]);
  const principals = new PrincipalCache((key) => findPrincipalByKey(deps.db, key), deps.keyCacheMs ?? 0);
  const rateLimitRedis = deps.rateLimitRedis ?? deps.redis;
  const failures = new AuthFailures(rateLimitRedis, deps.rateLimits.keyPrefix, deps.authFailuresPerMinute ?? 30);
  const sessions = new ConsoleSessions(deps.db, deps.console.sessions);
  // The API first: nearly every request is one of its, and each layer it passed on the way
  // cost it a path match. Nothing else is mounted under /api/v1.
  app.use('/api/v1', apiRouter(deps, { routes, principals, failures, sessions }));
  app.use(rootRouter());
  app.use(healthRouter(deps));
  app.use(DOCS_PATH, pageSecurityPolicy, docsRouter());
  app.use(DASHBOARD_PATH, pageSecurityPolicy, queueDashboardRouter({ producer: deps.producer, principals, failures, sessions }));
  app.use(DEAD_LETTERS_PAGE_PATH, pageSecurityPolicy, deadLettersPageRouter({ ...deps, principals, failures, sessions }));
  // Public files (the app signs in through the API); outside /api/v1, so no route table rules.
  app.use(CONSOLE_PATH, pageSecurityPolicy, consoleRouter(deps.console.distDir));

  app.use(routes.methodNotAllowed());
  app.use(notFound);
  app.use(errorHandler(deps.logger, deps.retryAfterSeconds));
  return app;
}

/** What the routes under /api/v1 share with the admin pages beside them. */
interface ApiShared {
  routes: RouteTable;
  principals: PrincipalCache;
  failures: AuthFailures;
  sessions: ConsoleSessions;
}

/** The routes under /api/v1, behind authentication, the rate limit and the body checks. */
function apiRouter(deps: ServerDeps, { routes, principals, failures, sessions }: ApiShared): express.Router {
  const rateLimitRedis = deps.rateLimitRedis ?? deps.redis;
  const v1 = express.Router();
  v1.use((_req, res, next) => {
    res.locals.routeBase = '/api/v1';
    next();
  });
  const limit = rateLimit(rateLimitRedis, deps.rateLimits, deps.logger);
  const refuseQuery = routes.refuseUnexpectedQuery('/api/v1');
  // Signing in takes the key itself, so it comes before authenticate (and reads only a tiny body).
  addSignInRoutes(v1, { sessions, principals, failures, rateLimit: limit, refuseQuery, logger: deps.logger });
  // Who is asking, and whether they may, comes first: an anonymous or throttled request
  // never has its body read, let alone parsed. A task token (?token=) is its tenant for the
  // rate limit, and reads only its task (load-task.ts); the console's session cookie stands
  // for the key it signed in with; an admin may act for a tenant (X-Conveyor-Tenant).
  v1.use(
    authenticate(principals, {
      failures,
      findTaskToken: (token) => findTaskToken(deps.db, token),
      sessions,
      findTenant: (tenantId) => findTenant(deps.db, tenantId),
    }),
  );
  v1.use(limit);
  v1.use(refuseQuery);
  // Ingestion is for admin keys only: a tenant's request is refused before its body is read.
  v1.use(INGESTION_PATH, requireAdmin);
  // The batch route takes larger bodies; body-parser skips a body that is already parsed.
  v1.use('/tasks/batch', jsonBody(deps.batchBodyLimitBytes));
  v1.use(jsonBody(deps.bodyLimitBytes));
  v1.use(bodyContent);
  // The busiest routes first: every router a request passes costs it a path match.
  const submissions = new SubmissionWrites(deps.db, deps.producer);
  v1.use(tasksRouter({ ...deps, submissions }));
  v1.use(
    taskEventsRouter({
      db: deps.db,
      hub: deps.hub,
      logger: deps.logger,
      pollMs: deps.eventsPollMs,
      maxLifetimeMs: deps.eventStreamMaxMs,
      retryAfterSeconds: deps.retryAfterSeconds,
    }),
  );
  v1.use(taskLogsRouter(deps.db));
  v1.use(taskActionsRouter(deps));
  v1.use(taskTokensRouter(deps));
  v1.use(adminRouter(deps));
  v1.use(adminTenantsRouter(deps));
  v1.use(sessionRouter());
  v1.use(deadLettersRouter(deps));
  v1.use(queuesRouter({ db: deps.db, redis: deps.redis, prefix: deps.producer.prefix }));
  v1.use(usageRouter(deps.costs, deps.priceBook));
  v1.use(budgetAlertsRouter(deps));
  v1.use(schedulesRouter(deps));
  v1.use(xAccountsRouter({ db: deps.db, defaultTier: deps.defaultXTier ?? 'free' }));
  v1.use(postsRouter(deps));
  v1.use(postActionsRouter({ ...deps, submissions }));
  v1.use(taskTypesRouter(deps.policies));
  v1.use(ingestionRouter({ ...deps, submissions, setup: deps.ingestion }));
  v1.use(sessionsRouter(deps));
  v1.use(sessionDatasetsRouter({ ...deps, uploads: new TenantSlots(deps.uploadSlots ?? { perTenant: 2, perProcess: 4 }) }));
  v1.use(sessionChatRouter({ ...deps, submissions }));
  return v1;
}
