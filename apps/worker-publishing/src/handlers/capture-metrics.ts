import { PermanentError } from '@conveyor/contracts';
import { findPost, recordMetricsSnapshot } from '@conveyor/db';
import type { TaskHandler } from '@conveyor/queue';
import type { PublishingDeps } from '../publishing-deps';
import { failureOutcome } from '../publish-outcome';
import { callAccountOf } from '../x-account';

/**
 * capture_metrics: one snapshot of a published post's counts for one stage. Impressions are
 * non-public metrics, which X gives the author (the account's own token) for 30 days; past
 * that, or when X withholds them, they are stored as null. A stage captured already is not
 * overwritten.
 */
export function captureMetricsHandler(deps: PublishingDeps): TaskHandler<'capture_metrics'> {
  return async ({ post_id, stage }, ctx) => {
    const post = await findPost(deps.db, post_id);
    if (!post || post.tenant_id !== ctx.tenantId) throw new PermanentError(`post ${post_id} not found`, 'POST_NOT_FOUND');
    if (post.status !== 'published' || !post.x_post_id)
      throw new PermanentError(`post ${post_id} is ${post.status}; only published posts have metrics`, 'POST_NOT_PUBLISHED');
    const xPostId = post.x_post_id;
    const metrics = await (async () => {
      try {
        const account = await callAccountOf(deps, post, ctx.signal);
        return (await deps.x.postMetrics(account, [xPostId], true, { signal: ctx.signal })).find((m) => m.id === xPostId);
      } catch (error) {
        throw failureOutcome(error, { callMayHaveHappened: false, finalAttempt: ctx.finalAttempt }).taskError;
      }
    })();
    if (!metrics) throw new PermanentError(`X no longer has post ${xPostId} (deleted?); no metrics for stage ${stage}`, 'X_POST_GONE');
    const { likes, reposts, replies, quotes, bookmarks, impressions } = metrics;
    const stored = await recordMetricsSnapshot(deps.db, { post_id, stage, likes, reposts, replies, quotes, bookmarks, impressions });
    ctx.logger.info(stored ? 'metrics snapshot stored' : 'metrics snapshot already stored for this stage', { post_id, stage });
    return { post_id, stage, stored, likes, reposts, replies, quotes, bookmarks, impressions };
  };
}
