import { loadConfigOrExit, publishingEnvSchema, xApiEnvSchema } from '@conveyor/config';
import { X_MEDIA_KINDS, X_TOKEN_ENV_PREFIX } from '@conveyor/contracts';
import { RedisXRateLimiter, createSecretsProvider, createXClient, registerFetchMetrics, safeFetch } from '@conveyor/integrations';
import type { WorkerAppDeps } from '@conveyor/service';
import type { PublishingDeps } from './publishing-deps';

/** The publishing handlers' parts, from the configuration and the worker's connections. */
export function publishingDepsFromEnv(deps: WorkerAppDeps): PublishingDeps {
  const xEnv = loadConfigOrExit(xApiEnvSchema, deps.service);
  const env = loadConfigOrExit(publishingEnvSchema, deps.service);
  const limiter = new RedisXRateLimiter(deps.redis, { keyPrefix: deps.env.BULLMQ_PREFIX, limits: env.X_RATE_LIMITS, registry: deps.registry });
  const x = createXClient({
    dryRun: xEnv.X_DRY_RUN,
    baseUrl: xEnv.X_API_BASE_URL,
    timeoutMs: xEnv.X_API_TIMEOUT_MS,
    limiter,
    logger: deps.logger,
    registry: deps.registry,
  });
  registerFetchMetrics(deps.registry);
  deps.logger.info(x.dryRun ? 'X dry run: nothing is sent to X; posts get marked fake ids (X_DRY_RUN)' : 'publishing to X', {
    x_api_base_url: xEnv.X_API_BASE_URL,
    metrics_stages: env.X_METRICS_STAGES,
  });
  return {
    db: deps.db,
    x,
    // Tenants name the variable; only X_TOKEN_* ones are theirs to name.
    secrets: createSecretsProvider({ envNamePrefix: X_TOKEN_ENV_PREFIX }),
    fetchMedia: (ref, signal) => {
      const kind = X_MEDIA_KINDS[ref.kind];
      return safeFetch(ref.url, { maxBytes: kind.maxBytes, allowedTypes: kind.mimeTypes, allowHosts: env.MEDIA_FETCH_ALLOW_HOSTS, signal, what: ref.kind });
    },
    followUps: deps.followUps,
    metricsStages: env.X_METRICS_STAGES,
    staleHoldMs: env.X_PUBLISH_STALE_HOLD_MS,
  };
}
