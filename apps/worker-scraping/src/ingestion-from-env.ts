import { ingestionEnvSchema, loadConfigOrExit, secretsEnvSchema } from '@conveyor/config';
import { TokenBucketLimiter, createIngestionSources, createSecretStore, ingestionMetrics, registerFetchMetrics } from '@conveyor/integrations';
import type { WorkerAppDeps } from '@conveyor/service';
import type { IngestSourceDeps } from './handlers/ingest-source';
import { dbIngestionStore } from './ingestion-store';

/** The ingestion handler's parts, from the configuration and the worker's connections. */
export async function ingestionDepsFromEnv(deps: WorkerAppDeps): Promise<IngestSourceDeps> {
  const env = loadConfigOrExit(ingestionEnvSchema, deps.service);
  const secretsEnv = loadConfigOrExit(secretsEnvSchema, deps.service);
  registerFetchMetrics(deps.registry);
  const sources = createIngestionSources(env);
  deps.logger.info('ingestion sources', {
    sources: Object.fromEntries(Object.entries(sources).map(([name]) => [name, env[`${name.toUpperCase()}_BASE_URL` as keyof typeof env]])),
  });
  return {
    sources,
    runtime: {
      store: dbIngestionStore(deps.db),
      limiter: new TokenBucketLimiter(deps.redis, { keyPrefix: deps.env.BULLMQ_PREFIX, registry: deps.registry }),
      secrets: createSecretStore(secretsEnv, { registry: deps.registry }),
      logger: deps.logger,
      allowHosts: env.INGESTION_ALLOW_HOSTS,
      retry: { maxRetries: env.INGESTION_MAX_RETRIES, baseMs: env.INGESTION_RETRY_BASE_MS },
      runLimitMs: env.INGESTION_RUN_LIMIT_MS,
      rateLimits: env.INGESTION_RATE_LIMITS,
      metrics: ingestionMetrics(deps.registry),
    },
  };
}
