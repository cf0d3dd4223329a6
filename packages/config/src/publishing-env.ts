import { metricsStageSchema } from '@conveyor/contracts';
import { z } from 'zod';
import { mediaFetchEnvSchema } from './media-fetch';
import { xRateLimitEnvSchema } from './x-rate-limit-env';

const stagesText = z
  .string()
  .transform((text) => text.split(',').map((s) => s.trim()))
  .pipe(z.array(metricsStageSchema).min(1, 'name at least one stage').max(20, 'at most 20 stages'));

/**
 * The publishing worker's own variables, besides its worker variables and xApiEnvSchema (parsed
 * on its own): X's rate-limit table overrides, the hosts media may be fetched from although
 * private, and when metrics are captured.
 */
export const publishingEnvSchema = xRateLimitEnvSchema.extend(mediaFetchEnvSchema.shape).extend({
  /** Comma-separated stages after publication at which metrics are captured: a number and s, m, h or d. */
  X_METRICS_STAGES: stagesText.default(['15m', '1h', '24h', '7d']),
  /**
   * Milliseconds after which a post another task holds in `publishing` is taken over (that
   * task's attempt has certainly ended): longer than publish_post's hard time limit.
   */
  X_PUBLISH_STALE_HOLD_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(10 * 60_000),
});

export type PublishingEnv = z.infer<typeof publishingEnvSchema>;
