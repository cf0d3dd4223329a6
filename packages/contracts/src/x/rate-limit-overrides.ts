import { z } from 'zod';
import { X_RATE_LIMITS, X_TIERS, type XEndpoint, type XLimit, type XRateLimitOverrides, type XTier } from './rate-limits';

/** Every endpoint of the table (each tier lists the same ones). */
export const X_ENDPOINTS = Object.keys(X_RATE_LIMITS.free) as XEndpoint[];

const limitPatch = z
  .object({
    limit: z.number().int().positive(),
    windowMs: z.number().int().positive(),
  })
  .partial()
  .strict();

/**
 * Replacements for entries of X_RATE_LIMITS as an operator writes them (X_RATE_LIMITS in the
 * environment): tier → endpoint → {limit, windowMs}, each part optional, e.g.
 * `{"basic": {"POST /2/tweets": {"limit": 50}}}`. Unknown tiers and endpoints are refused with
 * the known ones listed, so a typo does not silently leave X's published limit in force.
 */
export const xRateLimitOverridesSchema = z
  .record(z.string(), z.record(z.string(), limitPatch))
  .superRefine((tiers, ctx) => {
    for (const [tier, endpoints] of Object.entries(tiers)) {
      if (!(X_TIERS as string[]).includes(tier)) {
        ctx.addIssue({ code: 'custom', path: [tier], message: `unknown tier; known: ${X_TIERS.join(', ')}` });
        continue;
      }
      for (const endpoint of Object.keys(endpoints)) {
        if (!(X_ENDPOINTS as string[]).includes(endpoint)) {
          ctx.addIssue({ code: 'custom', path: [tier, endpoint], message: `unknown endpoint; known: ${X_ENDPOINTS.join(', ')}` });
        }
      }
    }
  })
  .transform((tiers) => tiers as XRateLimitOverrides);

/** One endpoint's limit for a tier: X's published table with the overrides applied. */
export function xLimitOf(tier: XTier, endpoint: XEndpoint, overrides: XRateLimitOverrides = {}): XLimit {
  const published = X_RATE_LIMITS[tier]?.[endpoint];
  if (!published) throw new Error(`no X rate limit for tier ${String(tier)} and endpoint ${String(endpoint)}`);
  return { ...published, ...overrides[tier]?.[endpoint] };
}
