import { PermanentError } from '@conveyor/contracts';
import { findPost } from '@conveyor/db';
import type { TaskHandler } from '@conveyor/queue';
import { uploadMissingMedia } from '../post-media';
import type { PublishingDeps } from '../publishing-deps';
import { failureOutcome } from '../publish-outcome';
import { callAccountOf } from '../x-account';

/** The states in which media are prepared ahead of the publish. */
const PREPARABLE = new Set(['draft', 'scheduled', 'queued']);

/**
 * prepare_media: uploads a post's media ahead of its publish (a scheduled post's, say), so the
 * publish at the due time only creates the post. What is uploaded is kept on the post;
 * publish_post uploads whatever is still missing itself, so this task is an optimisation,
 * never a precondition.
 */
export function prepareMediaHandler(deps: PublishingDeps): TaskHandler<'prepare_media'> {
  return async ({ post_id }, ctx) => {
    const post = await findPost(deps.db, post_id);
    if (!post || post.tenant_id !== ctx.tenantId) throw new PermanentError(`post ${post_id} not found`, 'POST_NOT_FOUND');
    if (!PREPARABLE.has(post.status)) return { post_id, media_ids: post.media_ids, uploaded: 0 };
    try {
      const account = await callAccountOf(deps, post, ctx.signal);
      const { mediaIds, uploaded } = await uploadMissingMedia(deps, post, account, ctx);
      return { post_id, media_ids: mediaIds, uploaded };
    } catch (error) {
      // The post's state is the publish's to change; the task reports the failure as it is classified.
      throw failureOutcome(error, { callMayHaveHappened: false, finalAttempt: ctx.finalAttempt }).taskError;
    }
  };
}
