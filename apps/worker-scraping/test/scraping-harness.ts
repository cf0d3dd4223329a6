import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { type IngestionEnv, ingestionEnvSchema } from '@conveyor/config';
import { INGESTION_SOURCES, type IngestionSourceName, SYSTEM_TENANT_ID, TaskPolicies } from '@conveyor/contracts';
import { type Database, createDb, ensureDefaultIngestionSources, insertTask, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { type IngestionSource, TokenBucketLimiter, createIngestionSources, createSecretStore, ingestionMetrics } from '@conveyor/integrations';
import { Registry } from 'prom-client';
import { createLogger } from '@conveyor/observability';
import { type RunOutcome, groupCommitWritesFor, runTaskJob } from '@conveyor/queue';
import { DataSourcesSimulator } from '@conveyor/sim';
import { createTestDatabase, createTestRedis, deleteKeysWithPrefix, uniquePrefix } from '@conveyor/testkit';
import type { Kysely } from 'kysely';
import { scrapingHandlers } from '../src/handlers';
import { dbIngestionStore } from '../src/ingestion-store';

export interface HarnessOptions {
  /** The secrets the environment holds (FRED_API_KEY, COMTRADE_SUBSCRIPTION_KEY). */
  secrets?: Record<string, string>;
  /** More ingestion variables (INGESTION_RATE_LIMITS, FRED_SERIES...). */
  env?: Record<string, string>;
  /** The simulated clock's start (epoch ms). */
  startMs?: number;
  /**
   * The buckets' own clock, moved only by their sleeps (none by real time): a wait for a token
   * happens whatever the machine's speed.
   */
  bucketClock?: 'virtual';
  /** Hooks added to sources. */
  hooks?: Partial<Record<IngestionSourceName, Pick<IngestionSource, 'onSuccess' | 'onFailure'>>>;
}

/**
 * ingest_source through the real task runtime (claim, attempt, outcome writes), with the real
 * sources, token bucket (Redis), secret store and Postgres store, against the data-source
 * simulator on loopback. One clock drives both the simulator's data and the runs' "now".
 */
export async function scrapingHarness(options: HarnessOptions = {}) {
  let nowMs = options.startMs ?? Date.parse('2026-06-15T12:00:00Z');
  const sim = new DataSourcesSimulator({ now: () => nowMs });
  const base = await sim.listen();
  const host = new URL(base).host;
  const testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const db: Kysely<Database> = createDb(testDb.url);
  await ensureDefaultIngestionSources(db, false);
  const redis = createTestRedis();
  const prefix = uniquePrefix('scraping');
  const policies = new TaskPolicies();
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  const logger = createLogger({ service: 'test', stream: logs });
  const env: IngestionEnv = ingestionEnvSchema.parse({
    INGESTION_ALLOW_HOSTS: host,
    INGESTION_RETRY_BASE_MS: '20',
    // The sources' own buckets are the public APIs' (GDELT: one request per 5 s); a simulator needs none.
    INGESTION_RATE_LIMITS: JSON.stringify(Object.fromEntries(INGESTION_SOURCES.map((s) => [s, { capacity: 10_000, refillPerSecond: 10_000 }]))),
    GDELT_BASE_URL: base,
    RELIEFWEB_BASE_URL: base,
    FRED_BASE_URL: base,
    WORLDBANK_BASE_URL: base,
    COMTRADE_BASE_URL: base,
    ...options.env,
  });
  const registry = new Registry();
  const deps = {
    sources: withHooks(createIngestionSources(env), options.hooks ?? {}),
    runtime: {
      store: dbIngestionStore(db),
      limiter: new TokenBucketLimiter(redis, { keyPrefix: prefix, registry, ...(options.bucketClock === 'virtual' ? virtualClock() : {}) }),
      secrets: createSecretStore({ SECRETS_CACHE_TTL_MS: 0 }, { env: options.secrets ?? {} }),
      logger,
      allowHosts: env.INGESTION_ALLOW_HOSTS,
      retry: { maxRetries: env.INGESTION_MAX_RETRIES, baseMs: env.INGESTION_RETRY_BASE_MS },
      runLimitMs: env.INGESTION_RUN_LIMIT_MS,
      rateLimits: env.INGESTION_RATE_LIMITS,
      now: () => new Date(nowMs),
      metrics: ingestionMetrics(registry),
    },
  };
  const handlers = scrapingHandlers(deps);

  const run = (taskId: string): Promise<RunOutcome> =>
    runTaskJob({ queue: 'scraping', handlers: handlers as never, policies, logger, writes: groupCommitWritesFor(db), random: () => 0.5 }, { task_id: taskId });

  return {
    db,
    sim,
    base,
    logs: () => logText,
    /** The Prometheus text the worker's /metrics would serve of ingestion. */
    metrics: () => registry.metrics(),
    now: () => nowMs,
    /** Moves both clocks forward. */
    advance: (ms: number) => {
      nowMs += ms;
    },
    /** Submits and runs one ingest_source task to its end; its task row and audit record. */
    ingest: async (source: IngestionSourceName, window?: { from: string; to: string }, before?: (taskId: string) => Promise<unknown>) => {
      const task = await insertTask(db, {
        id: randomUUID(),
        tenant_id: SYSTEM_TENANT_ID,
        task: 'ingest_source',
        queue: 'scraping',
        payload: window ? { source, window } : { source },
        max_attempts: 1,
      });
      await before?.(task.id);
      const outcome = await run(task.id);
      const row = await db.selectFrom('tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow();
      const audit = await db.selectFrom('ingestion_runs').selectAll().where('task_id', '=', task.id).orderBy('started_at').execute();
      return { outcome, task: row, run: audit.at(-1)!, runs: audit };
    },
    recordCount: async (source: IngestionSourceName) =>
      Number(
        (
          await db
            .selectFrom('ingestion_records')
            .select((e) => e.fn.countAll().as('n'))
            .where('source', '=', source)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    close: async () => {
      redis.disconnect();
      await deleteKeysWithPrefix(prefix);
      await db.destroy();
      await testDb.drop();
      await sim.close();
    },
  };
}

export type ScrapingHarness = Awaited<ReturnType<typeof scrapingHarness>>;

function withHooks<T extends Record<IngestionSourceName, IngestionSource>>(sources: T, hooks: NonNullable<HarnessOptions['hooks']>): T {
  const out = { ...sources };
  for (const [name, hook] of Object.entries(hooks)) out[name as IngestionSourceName] = { ...out[name as IngestionSourceName], ...hook };
  return out;
}

/** A clock that stands still but for the sleeps taken on it. */
function virtualClock(): { now: () => number; sleep: (ms: number) => Promise<void> } {
  let t = Date.parse('2026-01-01T00:00:00Z');
  return { now: () => t, sleep: async (ms) => void (t += ms) };
}
