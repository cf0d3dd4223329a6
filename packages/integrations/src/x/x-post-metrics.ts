import type { XPostMetrics } from './x-client';
import { isFieldAuthorizationError } from './x-problem';

/** A post of a GET /2/tweets answer, as far as metrics go. */
interface LookedUpPost {
  id?: unknown;
  public_metrics?: Record<string, unknown>;
  non_public_metrics?: Record<string, unknown>;
}

const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** X's counts in Conveyor's names; impressions only from non_public_metrics (the author's own view), else null. */
function metricsOf(post: LookedUpPost & { id: string }): XPostMetrics {
  const p = post.public_metrics ?? {};
  const impressions = post.non_public_metrics?.impression_count;
  return {
    id: post.id,
    likes: count(p.like_count),
    reposts: count(p.retweet_count),
    replies: count(p.reply_count),
    quotes: count(p.quote_count),
    bookmarks: count(p.bookmark_count),
    impressions: typeof impressions === 'number' && Number.isFinite(impressions) ? impressions : null,
  };
}

/**
 * Reads a GET /2/tweets answer: the posts it holds, and the ids X refused non_public_metrics
 * for without sending the post at all. X sends a Field Authorization Error for a post the
 * account did not write (or one past 30 days) and may then leave the post out of `data`
 * entirely; those ids are looked up again without non_public_metrics. A post X does not have
 * (deleted, never existed) is simply left out.
 */
export function readLookup(body: Record<string, unknown> | undefined): { posts: XPostMetrics[]; refusedIds: string[] } {
  const data = Array.isArray(body?.data) ? (body.data as LookedUpPost[]) : [];
  const posts = data.filter((p): p is LookedUpPost & { id: string } => typeof p?.id === 'string').map(metricsOf);
  const found = new Set(posts.map((p) => p.id));
  const errors = Array.isArray(body?.errors) ? (body.errors as { resource_id?: unknown }[]) : [];
  const refusedIds = errors
    .filter((e) => isFieldAuthorizationError(e) && typeof e.resource_id === 'string' && !found.has(e.resource_id))
    .map((e) => e.resource_id as string);
  return { posts, refusedIds: [...new Set(refusedIds)] };
}
