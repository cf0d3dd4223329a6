import { randomUUID } from 'node:crypto';
import { PermanentError, type TaskResult, stageMs } from '@conveyor/contracts';
import { type PostRow, claimPostForPublishing, findPost, takeOverPublishing, transitionPost } from '@conveyor/db';
import type { TaskContext, TaskHandler } from '@conveyor/queue';
import { findPublishedPost } from '../find-published';
import { uploadMissingMedia } from '../post-media';
import type { PublishingDeps } from '../publishing-deps';
import { failureOutcome } from '../publish-outcome';
import { callAccountOf } from '../x-account';
import { XApiError } from '@conveyor/integrations';

type Result = TaskResult<'publish_post'>;

const skipped = (post: PostRow, reason: string, dryRun: boolean): Result => ({
  post_id: post.id,
  status: 'skipped',
  x_post_id: post.x_post_id,
  recovered: false,
  dry_run: dryRun,
  reason,
});

/**
 * publish_post: brings the post to `publishing` by compare-and-set (recording the publish
 * request first), uploads missing media, asks X whether an earlier call already made the
 * post, and only then creates it. Every way the call can end moves the post once more:
 * published, back to queued (a retry or a rate-limit wait), or failed.
 */
export function publishPostHandler(deps: PublishingDeps): TaskHandler<'publish_post'> {
  return async ({ post_id }, ctx) => {
    const post = await findPost(deps.db, post_id);
    if (!post || post.tenant_id !== ctx.tenantId) throw new PermanentError(`post ${post_id} not found`, 'POST_NOT_FOUND');
    const queued = await bringToQueued(deps, post, ctx);
    if (typeof queued === 'string') return skipped(post, queued, deps.x.dryRun);
    const claim = await claimPostForPublishing(deps.db, { postId: post.id, publishRequestId: randomUUID(), task: { id: ctx.taskId, attempt: ctx.attempt } });
    if (!claim.ok) return skipped(post, claim.reason === 'conflict' ? `post is ${claim.current}` : 'post is gone', deps.x.dryRun);
    try {
      return await publishClaimed(deps, claim.post, claim.callMayHaveHappened, ctx);
    } catch (error) {
      throw await recordFailure(deps, claim.post, claim.callMayHaveHappened, error, ctx);
    }
  };
}

/**
 * Moves the post to `queued` from wherever a publish may start, or says why it is not
 * published: draft and scheduled posts are queued (a task for a post asks for it to be
 * published); a post held in `publishing` by an earlier attempt of this task, or held too long
 * by another, is taken over; one another live task holds is that task's to finish; a finished or cancelled post is left as it is.
 */
async function bringToQueued(deps: PublishingDeps, post: PostRow, ctx: TaskContext): Promise<true | string> {
  switch (post.status) {
    case 'queued':
      return true;
    case 'draft':
    case 'scheduled': {
      const moved = await transitionPost(deps.db, { postId: post.id, from: ['draft', 'scheduled'], to: 'queued' });
      return moved.ok ? true : `post is ${moved.reason === 'conflict' ? moved.current : 'gone'}`;
    }
    case 'publishing': {
      const taken = await takeOverPublishing(deps.db, { postId: post.id, taskId: ctx.taskId, attempt: ctx.attempt, staleMs: deps.staleHoldMs });
      if (taken) {
        ctx.logger.warn('took over a post left in publishing by an attempt that ended without an outcome', { post_id: post.id });
        return true;
      }
      // Another task's live attempt is publishing it, and owns its outcome and retries.
      return 'post is being published by another task';
    }
    default:
      return `post is ${post.status}`;
  }
}

async function publishClaimed(deps: PublishingDeps, post: PostRow, callMayHaveHappened: boolean, ctx: TaskContext): Promise<Result> {
  const account = await callAccountOf(deps, post, ctx.signal);
  const { mediaIds } = await uploadMissingMedia(deps, post, account, ctx);
  if (callMayHaveHappened) {
    const found = await findPublishedPost(deps.db, deps.x, post, account, ctx.signal);
    if (found) return recordPublished(deps, post, found, mediaIds, true, ctx);
  }
  let xPostId: string;
  try {
    xPostId = (await deps.x.createPost(account, { text: post.text, mediaIds: mediaIds.length ? mediaIds : undefined }, { signal: ctx.signal })).id;
  } catch (error) {
    if (!(error instanceof XApiError) || error.kind !== 'duplicate') throw error;
    // X holds this text already: made by an earlier attempt of this post, or by another post.
    const found = await findPublishedPost(deps.db, deps.x, post, account, ctx.signal);
    if (!found) throw error;
    return recordPublished(deps, post, found, mediaIds, true, ctx);
  }
  return recordPublished(deps, post, xPostId, mediaIds, false, ctx);
}

async function recordPublished(
  deps: PublishingDeps,
  post: PostRow,
  xPostId: string,
  mediaIds: string[],
  recovered: boolean,
  ctx: TaskContext,
): Promise<Result> {
  const moved = await transitionPost(deps.db, { postId: post.id, from: ['publishing'], to: 'published', set: { x_post_id: xPostId, media_ids: mediaIds } });
  if (!moved.ok)
    throw new PermanentError(
      `X holds post ${xPostId}, but post ${post.id} could not be marked published: it is ${moved.reason === 'conflict' ? moved.current : 'gone'}`,
      'POST_MOVED_ON',
    );
  ctx.logger.info(recovered ? 'post found on X after an earlier call; recorded, not sent again' : 'post published to X', {
    post_id: post.id,
    x_post_id: xPostId,
    dry_run: deps.x.dryRun,
  });
  await deps.followUps.submit(
    post.tenant_id,
    deps.metricsStages.map((stage) => ({
      task: 'capture_metrics' as const,
      payload: { post_id: post.id, stage },
      idempotencyKey: `capture_metrics:${post.id}:${stage}`,
      delayMs: stageMs(stage),
    })),
  );
  return { post_id: post.id, status: 'published', x_post_id: xPostId, recovered, dry_run: deps.x.dryRun };
}

/** Records on the post how this attempt failed and returns the error the task runtime should see. */
async function recordFailure(deps: PublishingDeps, post: PostRow, callMayHaveHappened: boolean, error: unknown, ctx: TaskContext): Promise<unknown> {
  const outcome = failureOutcome(error, { callMayHaveHappened, finalAttempt: ctx.finalAttempt });
  const moved = await transitionPost(deps.db, {
    postId: post.id,
    from: ['publishing'],
    to: outcome.postState,
    set: { last_error: outcome.postError, clear_publish_request: outcome.clearPublishRequest },
  });
  if (!moved.ok) ctx.logger.warn('could not record the failed publish on the post', { post_id: post.id, reason: moved.reason });
  ctx.logger.warn('publish attempt failed', { post_id: post.id, post_state: outcome.postState, error: outcome.postError });
  return outcome.taskError;
}
