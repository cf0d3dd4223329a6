import {
  type Database,
  type PostRow,
  type PostStatus,
  type TaskRow,
  findPostForTenant,
  findTaskByIdempotencyKey,
  insertTasks,
  taskRow,
  transitionPost,
} from '@conveyor/db';
import { HttpError } from './http-error';
import { type SubmitDeps, checkQueueReady, validate } from './submit-tasks';
import type { Kysely } from 'kysely';

/** The task that publishes a post; its payload is `{post_id}`. */
const PUBLISH_TASK = 'publish_post';

/** The states a post may be published from: a draft, a scheduled post (now instead), a failed one again. */
export const PUBLISHABLE_POST_STATUSES = ['draft', 'scheduled', 'failed'] as const satisfies readonly PostStatus[];

/**
 * The idempotency key of the task that publishes a post in one round of publishing. A post
 * enters `queued` from the API once per value of `attempts` (draft and scheduled posts have
 * none yet; a failed one has one more than at its last round, since every claim bumps it), so
 * the key names the round: the tenant's unique index on keys keeps it to one task, and the
 * key finds that task again, without a scan, to name it in a 409 or revoke it on cancel.
 */
const publishTaskKey = (post: Pick<PostRow, 'id' | 'attempts'>) => `${PUBLISH_TASK}:${post.id}:${post.attempts}`;

const isPublishTaskOf = (task: TaskRow, postId: string) => task.task === PUBLISH_TASK && (task.payload as { post_id?: string } | null)?.post_id === postId;

/** The current round's publish task of a post, if it has one. */
export async function findPublishTask(db: Kysely<Database>, tenantId: string, post: PostRow): Promise<TaskRow | undefined> {
  const task = await findTaskByIdempotencyKey(db, tenantId, publishTaskKey(post));
  return task && isPublishTaskOf(task, post.id) ? task : undefined;
}

export type PublishOutcome =
  | { ok: true; post: PostRow; task: TaskRow; enqueued: boolean }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'conflict'; post: PostRow; task?: TaskRow };

/**
 * Publishes a post now: moves it to `queued` and submits its `publish_post` task, checked
 * against the catalog and built by the one task-row function like every submission.
 *
 * The move and the task row commit in one transaction, so there is no moment, and no crash,
 * in which a post is queued without its task or a task exists for a post that is not queued.
 * The move is the compare-and-set that makes concurrent requests safe: the second waits for
 * the first's row lock, then finds the post queued and gets `conflict`; one task, whatever the
 * number of clicks. The job is added to Redis only after the commit (invariant 5); if Redis
 * refuses it then, the row stands and the reconciler enqueues it (invariant 10), so the answer
 * is still 202 with `enqueued: false`. With Redis down beforehand nothing is written (503).
 */
export async function publishPostNow(deps: SubmitDeps, tenantId: string, postId: string): Promise<PublishOutcome> {
  const [checked] = validate([{ task: PUBLISH_TASK, payload: { post_id: postId } }], () => undefined);
  checkQueueReady(deps.redis);
  const committed = await deps.db.transaction().execute(async (trx) => {
    const moved = await transitionPost(trx, { tenantId, postId, from: PUBLISHABLE_POST_STATUSES, to: 'queued' });
    if (!moved.ok) return moved;
    const insert = taskRow(deps.policies, {
      tenantId,
      task: checked!.definition.name,
      payload: checked!.payload,
      idempotencyKey: publishTaskKey(moved.post),
      origin: 'publish',
    });
    const [submitted] = await insertTasks(trx, [insert]);
    // The key is taken by something else only if the tenant used it for a task of its own.
    if (!submitted!.created && !isPublishTaskOf(submitted!.row, postId))
      throw new HttpError(
        409,
        'idempotency_conflict',
        `The idempotency key ${insert.idempotency_key} is used by your task ${submitted!.row.id}; nothing was changed`,
      );
    return { ok: true as const, post: moved.post, task: submitted!.row };
  });
  if (!committed.ok) {
    if (committed.reason === 'not_found') return committed;
    const post = await findPostForTenant(deps.db, postId, tenantId);
    if (!post) return { ok: false, reason: 'not_found' };
    return { ok: false, reason: 'conflict', post, task: post.status === 'queued' ? await findPublishTask(deps.db, tenantId, post) : undefined };
  }
  const { post, task } = committed;
  let enqueued = true;
  try {
    await deps.submissions.enqueue([{ id: task.id, task: task.task, queue: task.queue, priority: task.priority }]);
  } catch (error) {
    enqueued = false;
    deps.logger.warn('publish task committed but not enqueued; the reconciler will enqueue it', { task_id: task.id, post_id: post.id, error });
  }
  deps.logger.info('post queued for publishing', { post_id: post.id, task_id: task.id });
  return { ok: true, post, task, enqueued };
}
