import { X_TIERS, jsonText, xRateLimitOverridesSchema, type XTier } from '@conveyor/contracts';
import { z } from 'zod';

/**
 * What an app that calls X (worker-publishing) or registers X accounts (api) reads for X's
 * rate limits, in a schema of its own so it can be added to either app's schema with `.extend`.
 */
export const xRateLimitEnvSchema = z.object({
  /**
   * The tier of an account registered without one. Free by default: the lowest limits, so a
   * tier nobody named is never assumed to allow more than X does.
   */
  X_API_TIER: z.enum(X_TIERS as [XTier, ...XTier[]]).default('free'),
  /** JSON: tier → endpoint → {limit, windowMs}, replacing entries of X's published table (X_RATE_LIMITS in @conveyor/contracts). */
  X_RATE_LIMITS: jsonText(xRateLimitOverridesSchema, '{"basic":{"POST /2/tweets":{"limit":50}}}').default({}),
});

export type XRateLimitEnv = z.infer<typeof xRateLimitEnvSchema>;
