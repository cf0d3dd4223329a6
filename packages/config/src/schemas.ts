import { budgetAlertHostsEnvSchema, budgetAlertSendEnvSchema } from './budget-alerts-env';
import { ingestionScheduleEnvSchema } from './ingestion-env';
import { xRateLimitEnvSchema } from './x-rate-limit-env';
import { jsonText, taskOverridesSchema } from '@conveyor/contracts';
import { llmBudgetEnvSchema } from './llm-budget-env';
import { z } from 'zod';
import { appEntry } from './app-registry';
import { redisClusterNodesSchema } from './redis-cluster-nodes';
import { openRouterAttributionEnvSchema } from './openrouter-attribution-env';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);

/** Variables every app reads. */
export const baseEnvSchema = z.object({
  /**
   * Unset means production: the safety checks (e.g. a worker refusing an evicting Redis) are
   * on unless a developer asks for development (`npm start` does).
   */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug']).default('info'),
  /** json for machines, pretty for a terminal. */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** postgres://user@host:port/db */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }),
  /** Connections in this process's Postgres pool. */
  DATABASE_POOL_MAX: positiveInt.default(10),
  /** Milliseconds a query may go unanswered before it fails (and, for state writes, is retried). */
  DATABASE_QUERY_TIMEOUT_MS: positiveInt.default(30_000),
  /**
   * What DATABASE_URL points at: `none` (Postgres, or a pooler in session mode) or `transaction`
   * (a pooler in transaction mode, such as PgBouncer's pool_mode=transaction: the hot statements
   * are then sent unnamed, since a named prepared statement does not survive a transaction there).
   */
  DATABASE_POOLER: z.enum(['none', 'transaction']).default('none'),
  /** redis://host:port[/db] */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }),
  /**
   * host:port,host:port: seeds of a Redis Cluster. When set, every connection is a cluster
   * client seeded from these; REDIS_URL then only gives the credentials and TLS (rediss:).
   */
  REDIS_CLUSTER_NODES: redisClusterNodesSchema.optional(),
  /** Key prefix of every BullMQ key; tests give each file its own. */
  BULLMQ_PREFIX: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9:_-]+$/)
    .default('conveyor'),
  /** Address the health / metrics / API server binds to. */
  HOST: z.string().default('127.0.0.1'),
  /** JSON: task name → partial policy (attempts, backoff, softTimeoutMs, hardTimeoutMs, retentionMs). */
  TASK_OVERRIDES: taskOverridesSchema.default({}),
});

/** API requests per minute per tenant, by plan, and per admin key (`admin`). */
export const DEFAULT_RATE_LIMITS: Record<'trial' | 'starter' | 'growth' | 'admin', number> = { trial: 600, starter: 3_000, growth: 12_000, admin: 30_000 };
const perMinute = z.number().int().positive();
const rateLimitsSchema = jsonText(
  z
    .object({ trial: perMinute, starter: perMinute, growth: perMinute, admin: perMinute })
    .partial()
    .strict()
    .transform((limits) => ({ ...DEFAULT_RATE_LIMITS, ...limits })),
  '{"trial": 600, "starter": 3000, "growth": 12000, "admin": 30000}',
);

const MB = 1024 * 1024;
/** Largest dataset upload (POST /sessions/{id}/datasets), in bytes, by the tenant's plan (and `admin`, as API_RATE_LIMITS has). */
export const DEFAULT_DATASET_UPLOAD_LIMITS: Record<'trial' | 'starter' | 'growth' | 'admin', number> = {
  trial: 10 * MB,
  starter: 100 * MB,
  growth: 500 * MB,
  admin: 500 * MB,
};
const uploadBytes = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const datasetUploadLimitsSchema = jsonText(
  z
    .object({ trial: uploadBytes, starter: uploadBytes, growth: uploadBytes, admin: uploadBytes })
    .partial()
    .strict()
    .transform((limits) => ({ ...DEFAULT_DATASET_UPLOAD_LIMITS, ...limits })),
  '{"trial": 10485760, "starter": 104857600, "growth": 524288000}',
);

/** apps/api */
export const apiEnvSchema = baseEnvSchema.extend({
  API_PORT: port.default(appEntry('api').defaultPort),
  /** Largest accepted request body, in bytes. */
  API_BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
  /** Largest accepted body of POST /tasks/batch, in bytes. */
  API_BATCH_BODY_LIMIT_BYTES: positiveInt.default(10_485_760),
  /** Seconds a client is told to wait (Retry-After) when a dependency is down. */
  API_RETRY_AFTER_SECONDS: positiveInt.default(5),
  /** Milliseconds an API key's tenant is remembered; a revoked key works this long at most (0: off). */
  API_KEY_CACHE_MS: nonNegativeInt.default(10_000),
  /** JSON: plan → API requests per minute per tenant, admin → per admin key (partial; the rest keep their defaults). */
  API_RATE_LIMITS: rateLimitsSchema.default(DEFAULT_RATE_LIMITS),
  /** JSON: plan → bytes a dataset upload may have at most (partial; the rest keep their defaults); past it a 413. */
  DATASET_UPLOAD_LIMITS: datasetUploadLimitsSchema.default(DEFAULT_DATASET_UPLOAD_LIMITS),
  /** Requests with an unknown API key one client address may make per minute before it gets 429. */
  API_AUTH_FAILURES_PER_MINUTE: positiveInt.default(30),
  /** Live-event streams (GET /tasks/{id}/events) open at once: per tenant, and in one API process. */
  API_EVENT_STREAMS_PER_TENANT: positiveInt.default(100),
  API_EVENT_STREAMS_PER_PROCESS: positiveInt.default(5_000),
  /** Milliseconds a live-event stream stays open at most; the client then reconnects. */
  API_EVENT_STREAM_MAX_MS: positiveInt.default(1_800_000),
  /** Seconds a console session lives without use; each use moves its end this far ahead again (sliding). */
  CONSOLE_SESSION_TTL_SECONDS: positiveInt.default(1800),
  /** Seconds a console session lives at most, however often it is used: then its user signs in again. */
  CONSOLE_SESSION_MAX_SECONDS: positiveInt.default(43_200),
  /**
   * The Secure attribute of the console's session cookie: `true` always (set it behind a TLS
   * proxy that is not on loopback), `false` never, `auto` when the request came over HTTPS.
   */
  CONSOLE_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  /** The console's built files (apps/console/dist, by default found beside the API app). */
  CONSOLE_DIST: z.string().min(1).optional(),
  /** The tier of an X account registered without one. */
  X_API_TIER: xRateLimitEnvSchema.shape.X_API_TIER,
  /** INGESTION_AUTOSTART: whether the sources' system schedules start enabled if the API is the first to set them up. */
  ...ingestionScheduleEnvSchema.shape,
  /** BUDGET_ALERT_ALLOW_HOSTS: webhook hosts exempt from the private-address check at PUT /budget-alerts. */
  ...budgetAlertHostsEnvSchema.shape,
  /** INFERENCE_ROUTES, MODEL_PRICES, PLAN_ACTION_LIMITS: GET /usage/check prices and limits a call as the LLM workers do. */
  ...llmBudgetEnvSchema.shape,
});

/** A worker app; its default port is the app's own. */
export function workerEnvSchema(defaultPort: number) {
  return baseEnvSchema.extend({
    /** Port of the worker's /healthz, /readyz and /metrics. */
    WORKER_PORT: port.default(defaultPort),
    /** Jobs one worker process runs at once. */
    WORKER_CONCURRENCY: positiveInt.default(10),
    /**
     * Tasks a worker process holds beyond WORKER_CONCURRENCY, waiting for a place, so the next
     * handlers start while earlier outcomes commit: for queues of short tasks. 0 keeps every
     * task it does not run at once in the queue, for other workers.
     */
    WORKER_PREFETCH: nonNegativeInt.max(10_000).default(0),
    /** Milliseconds SIGTERM waits for active jobs before releasing them to other workers. */
    SHUTDOWN_GRACE_MS: positiveInt.default(30_000),
    /** Milliseconds a job lock lasts without renewal: how soon a dead worker's jobs are redelivered. */
    WORKER_LOCK_MS: positiveInt.default(30_000),
    /** Milliseconds between checks for jobs whose lock lapsed. */
    WORKER_STALLED_INTERVAL_MS: positiveInt.default(30_000),
    /** Milliseconds a state write keeps retrying while Postgres is unreachable. */
    DB_RETRY_MAX_MS: positiveInt.default(60_000),
    /** Milliseconds between the worker's heartbeats in the worker registry (GET /api/v1/workers); its entry expires after three missed. */
    WORKER_HEARTBEAT_MS: positiveInt.default(5_000),
    /** The version the worker registry shows; by default the app's package version. */
    BUILD_ID: z.string().min(1).max(100).optional(),
  });
}

/** apps/scheduler */
export const schedulerEnvSchema = baseEnvSchema
  .extend({
    /** Port of the scheduler's /healthz, /readyz and /metrics. */
    SCHEDULER_PORT: port.default(appEntry('scheduler').defaultPort),
    /** Milliseconds between ticks that fire due schedules. */
    SCHEDULER_TICK_MS: positiveInt.default(1000),
    /** Due schedules claimed per tick transaction. */
    SCHEDULER_BATCH: positiveInt.default(500),
    /** Batches one scheduler runs at once while a backlog is due (each its own transaction and rows). */
    SCHEDULER_PARALLEL_BATCHES: positiveInt.default(3),
    /** Milliseconds between reconciler passes (re-enqueue lost jobs, requeue stuck tasks). */
    RECONCILE_INTERVAL_MS: positiveInt.default(15_000),
    /** Milliseconds a task must be unchanged before the reconciler touches it. */
    RECONCILE_GRACE_MS: positiveInt.default(10_000),
    /** Milliseconds between retention clean-ups. */
    RETENTION_INTERVAL_MS: positiveInt.default(60_000),
    /** Days a dead letter is kept before the clean-up deletes it and its task. */
    DEAD_LETTER_RETENTION_DAYS: positiveInt.default(30),
  })
  .extend(ingestionScheduleEnvSchema.shape)
  .extend(budgetAlertSendEnvSchema.shape);

/** What an app that calls LLMs (worker-analysis, worker-generation) reads besides its worker variables. */
export const llmEnvSchema = llmBudgetEnvSchema
  .extend({
    /** Any OpenAI-compatible endpoint: OpenRouter by default, the simulator in development and tests. */
    OPENROUTER_BASE_URL: z.url().default('https://openrouter.ai/api/v1'),
    OPENROUTER_API_KEY: z.string().min(1, { error: 'is required (npm start runs the simulator and sets it when you have none)' }),
    /** Milliseconds one model call may take before it counts as a timeout and falls back. */
    INFERENCE_TIMEOUT_MS: positiveInt.default(60_000),
    /** Check routed models against the provider's list at start (skipped when the list cannot be fetched). */
    VERIFY_MODELS: z.enum(['true', 'false']).default('true'),
    /** Milliseconds after which a crashed worker's budget reservation is freed. */
    BUDGET_RESERVATION_TTL_MS: positiveInt.default(15 * 60_000),
  })
  .extend(openRouterAttributionEnvSchema.shape);

/** packages/sim run on its own (the LLM simulator of keyless local runs). */
export const simEnvSchema = z.object({
  SIM_PORT: port.default(4010),
  HOST: z.string().default('127.0.0.1'),
});

/** packages/sim's X API simulator run on its own (X calls of runs without X credentials). */
export const xSimEnvSchema = z.object({
  X_SIM_PORT: port.default(4020),
  HOST: z.string().default('127.0.0.1'),
  /** JSON: the accounts it serves, user access token → user and API tier; unset: one development account. */
  X_SIM_ACCOUNTS: jsonText(
    z
      .array(
        z.object({
          token: z.string().min(1),
          id: z.string().regex(/^\d+$/, 'a numeric user id'),
          username: z.string().min(1),
          name: z.string().optional(),
          tier: z.enum(['free', 'basic', 'pro', 'enterprise']),
        }),
      )
      .min(1),
    '[{"token":"t1","id":"42","username":"me","tier":"basic"}]',
  ).optional(),
});

export type BaseEnv = z.infer<typeof baseEnvSchema>;
export type ApiEnv = z.infer<typeof apiEnvSchema>;
export type WorkerEnv = z.infer<ReturnType<typeof workerEnvSchema>>;
export type SchedulerEnv = z.infer<typeof schedulerEnvSchema>;
export type LlmEnv = z.infer<typeof llmEnvSchema>;
export type SimEnv = z.infer<typeof simEnvSchema>;
export type XSimEnv = z.infer<typeof xSimEnvSchema>;
