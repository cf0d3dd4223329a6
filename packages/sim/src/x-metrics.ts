import { createHash } from 'node:crypto';

/** The engagement counts X reports for every post (`tweet.fields=public_metrics`). */
export interface XPublicMetrics {
  retweet_count: number;
  reply_count: number;
  like_count: number;
  quote_count: number;
  bookmark_count: number;
  impression_count: number;
}

/** What only the author sees (`non_public_metrics`, user context, posts of the last 30 days). */
export interface XNonPublicMetrics {
  impression_count: number;
  url_link_clicks: number;
  user_profile_clicks: number;
}

/** X serves non_public_metrics for posts no older than this. */
export const NON_PUBLIC_METRICS_MAX_AGE_MS = 30 * 24 * 60 * 60_000;
const HALF_LIFE_MS = 6 * 60 * 60_000;

/** Each post's own reach, 500 to 5,499 impressions at the end, fixed by its id. */
const peakOf = (id: string) => 500 + (parseInt(createHash('sha256').update(id).digest('hex').slice(0, 8), 16) % 5000);

/**
 * Impressions so far: a deterministic curve of the post's age that starts at 0, grows fast
 * in the first hours and levels off at the post's peak (half of it after 6 h), never falling.
 * Every other count is a fixed share of it, so all of them only grow too.
 */
function impressions(id: string, ageMs: number): number {
  return Math.floor(peakOf(id) * (1 - 2 ** (-Math.max(0, ageMs) / HALF_LIFE_MS)));
}

export function publicMetrics(id: string, ageMs: number): XPublicMetrics {
  const seen = impressions(id, ageMs);
  return {
    retweet_count: Math.floor(seen * 0.005),
    reply_count: Math.floor(seen * 0.004),
    like_count: Math.floor(seen * 0.03),
    quote_count: Math.floor(seen * 0.001),
    bookmark_count: Math.floor(seen * 0.003),
    impression_count: seen,
  };
}

export function nonPublicMetrics(id: string, ageMs: number): XNonPublicMetrics {
  const seen = impressions(id, ageMs);
  return { impression_count: seen, url_link_clicks: Math.floor(seen * 0.01), user_profile_clicks: Math.floor(seen * 0.008) };
}
