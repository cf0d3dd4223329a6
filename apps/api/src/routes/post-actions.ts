import { isTerminal } from '@conveyor/contracts';
import { type PostRow, type PostStatus, disablePostSchedules, transitionPost } from '@conveyor/db';
import { Router } from 'express';
import { HttpError } from '../http-error';
import { loadPost } from '../load-post';
import { tenantOf } from '../middleware/authenticate';
import { postConflict } from '../post-conflict';
import { toPostView } from '../post-view';
import { PUBLISHABLE_POST_STATUSES, findPublishTask, publishPostNow } from '../publish-post';
import { type RevokeDeps, revokeAndNotify } from '../revoke-task';
import type { SubmitDeps } from '../submit-tasks';

export type PostActionDeps = SubmitDeps & RevokeDeps;

/** The states a post may be cancelled in: before anything was sent to X. */
const CANCELLABLE: readonly PostStatus[] = ['draft', 'scheduled', 'queued'];

/** Why a post in this state cannot be published, and what can be done instead. */
function publishHint(post: PostRow, taskId: string | undefined): string {
  switch (post.status) {
    case 'queued':
      return `${taskId ? `task ${taskId} publishes it` : 'it is on its way'}; a queued post can still be cancelled`;
    case 'publishing':
      return 'it is being published now';
    case 'published':
      return `it is on X already as ${post.x_post_id}`;
    case 'cancelled':
      return 'a cancelled post is never published; create a new post with its text';
    default:
      return '';
  }
}

/** POST /posts/{id}/publish and /cancel. */
export function postActionsRouter(deps: PostActionDeps): Router {
  const router = Router();

  router.post('/posts/:id/publish', async (req, res) => {
    const post = await loadPost(deps.db, req, res);
    const outcome = await publishPostNow(deps, tenantOf(res), post.id);
    if (!outcome.ok && outcome.reason === 'not_found') throw new HttpError(404, 'post_not_found', `No post ${post.id}`);
    if (!outcome.ok) throw postConflict(outcome.post.status, 'published', PUBLISHABLE_POST_STATUSES, publishHint(outcome.post, outcome.task?.id));
    res
      .status(202)
      .location(`/api/v1/tasks/${outcome.task.id}`)
      .json({
        post: toPostView(outcome.post),
        task_id: outcome.task.id,
        enqueued: outcome.enqueued,
        message: `Post queued; task ${outcome.task.id} publishes it${outcome.enqueued ? '' : ' once Redis is reachable'} (GET /api/v1/posts/${post.id} follows it)`,
      });
  });

  router.post('/posts/:id/cancel', async (req, res) => {
    const post = await loadPost(deps.db, req, res);
    const tenantId = tenantOf(res);
    // The cancel and the end of the post's schedules commit together: none fires for it later.
    const moved = await deps.db.transaction().execute(async (trx) => {
      const result = await transitionPost(trx, { tenantId, postId: post.id, from: CANCELLABLE, to: 'cancelled' });
      if (result.ok) await disablePostSchedules(trx, tenantId, post.id);
      return result;
    });
    if (!moved.ok && moved.reason === 'not_found') throw new HttpError(404, 'post_not_found', `No post ${post.id}`);
    if (!moved.ok && moved.current === 'publishing')
      throw new HttpError(409, 'post_state_conflict', 'post is being published now and can no longer be cancelled');
    if (!moved.ok) throw postConflict(moved.current, 'cancelled', CANCELLABLE);
    // A queued post's publish task is found by its key and revoked, so it does not even start.
    // Should that fail, the cancel stands: the task finds the post cancelled and skips it.
    let revoked: string | null = null;
    try {
      const task = await findPublishTask(deps.db, tenantId, moved.post);
      if (task && !isTerminal(task.status) && (await revokeAndNotify(deps, task, tenantId)).outcome === 'revoked') revoked = task.id;
    } catch (error) {
      deps.logger.warn('post cancelled, but its publish task could not be revoked; it will skip the post', { post_id: post.id, error });
    }
    res.json({
      post: toPostView(moved.post),
      revoked_task_id: revoked,
      message: revoked ? `Post cancelled; its publish task ${revoked} was revoked` : 'Post cancelled; it will not be published',
    });
  });

  return router;
}
