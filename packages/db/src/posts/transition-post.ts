import { type Kysely, type UpdateObject, sql } from 'kysely';
import type { Database, PostError, PostRow, PostStatus } from '../schema';
import { assertTransitions, statesLeadingTo } from './transitions';
import { type PostWriteResult, missedWrite } from './write-result';

type Db = Kysely<Database>;

/** What each target state writes besides the status (times always come from now()). */
export interface PostTransitionSets {
  draft: Record<string, never>;
  scheduled: { scheduled_at: Date | string };
  /**
   * A retry keeps the publish request (the next claim then knows a call may have happened)
   * unless the caller knows no call reached X: clear_publish_request.
   */
  queued: { last_error?: PostError; clear_publish_request?: boolean };
  /** A fresh UUID for this attempt's request (kept instead when an earlier one is still open), and the task attempt claiming. */
  publishing: { publish_request_id: string; task?: { id: string; attempt: number } };
  published: { x_post_id: string; media_ids?: string[] };
  failed: { last_error: PostError; clear_publish_request?: boolean };
  cancelled: Record<string, never>;
}

type OptionalSet = 'draft' | 'cancelled' | 'queued';

export type PostTransition = {
  [T in PostStatus]: {
    /** Given by the API: another tenant's post is then "not found". Workers leave it out. */
    tenantId?: string;
    postId: string;
    /** The states the caller expects the post in; by default every state that may move to `to`. */
    from?: readonly PostStatus[];
    to: T;
  } & (T extends OptionalSet ? { set?: PostTransitionSets[T] } : { set: PostTransitionSets[T] });
}[PostStatus];

const CLEAR_REQUEST = { publish_request_id: null, publish_started_at: null } as const;

/** The columns a move to `to` writes, from its set. */
function columnsFor(t: PostTransition): UpdateObject<Database, 'posts'> {
  switch (t.to) {
    case 'draft':
      return { scheduled_at: null };
    case 'scheduled':
      return { scheduled_at: t.set.scheduled_at };
    case 'queued':
      return {
        ...(t.set?.last_error ? { last_error: JSON.stringify(t.set.last_error) } : {}),
        ...(t.set?.clear_publish_request ? CLEAR_REQUEST : {}),
      };
    case 'publishing':
      // "Record the request before the call": the claim, the attempt and the request are one
      // write. An earlier request that never got an outcome stays, so the caller sees a call
      // may have happened when the returned publish_request_id is not the one it gave.
      return {
        attempts: sql`attempts + 1`,
        publish_request_id: sql`coalesce(publish_request_id, ${t.set.publish_request_id}::uuid)`,
        publish_started_at: sql`case when publish_request_id is null then now() else publish_started_at end`,
        publishing_task_id: t.set.task?.id ?? null,
        publishing_attempt: t.set.task?.attempt ?? null,
      };
    case 'published':
      return {
        x_post_id: t.set.x_post_id,
        published_at: sql`now()`,
        last_error: null,
        ...(t.set.media_ids ? { media_ids: t.set.media_ids } : {}),
      };
    case 'failed':
      return { last_error: JSON.stringify(t.set.last_error), ...(t.set.clear_publish_request ? CLEAR_REQUEST : {}) };
    case 'cancelled':
      return {};
  }
}

/**
 * Moves a post from one of the `from` states to `to` in one compare-and-set:
 * `UPDATE posts SET status = to, … WHERE id = $1 AND status = ANY(from) RETURNING *`.
 * A move the state machine does not allow throws InvalidPostTransitionError before any
 * query. A post in none of the `from` states (a concurrent write won) is a `conflict` with
 * its current state, told apart from `not_found` by one read after the miss.
 */
export async function transitionPost(db: Db, t: PostTransition): Promise<PostWriteResult<{ post: PostRow }>> {
  const from = t.from ?? statesLeadingTo(t.to);
  assertTransitions(from, t.to);
  let q = db
    .updateTable('posts')
    .set({ ...columnsFor(t), status: t.to, updated_at: sql`now()` })
    .where('id', '=', t.postId)
    .where('status', 'in', from);
  if (t.tenantId !== undefined) q = q.where('tenant_id', '=', t.tenantId);
  const post = await q.returningAll().executeTakeFirst();
  return post ? { ok: true, post } : missedWrite(db, t.postId, t.tenantId);
}

/**
 * The worker's claim (queued → publishing) with a new request id. `callMayHaveHappened`: an
 * earlier attempt recorded a request that never got an outcome, so X must be asked whether
 * the post exists before it is sent again.
 */
export async function claimPostForPublishing(
  db: Db,
  claim: { postId: string; publishRequestId: string; task?: { id: string; attempt: number } },
): Promise<PostWriteResult<{ post: PostRow; callMayHaveHappened: boolean }>> {
  const result = await transitionPost(db, {
    postId: claim.postId,
    from: ['queued'],
    to: 'publishing',
    set: { publish_request_id: claim.publishRequestId, task: claim.task },
  });
  return result.ok ? { ...result, callMayHaveHappened: result.post.publish_request_id !== claim.publishRequestId } : result;
}

/**
 * Gives a post held in `publishing` back to `queued` when its holder is certainly gone: the
 * holder was an earlier attempt of the same task (the queue redelivers a task only once its
 * last attempt's lock lapsed), or the hold is older than staleMs (any other task). The
 * publish request stays, so the next claim knows a call may have happened. Undefined when the
 * post is not held that way (another live attempt may be publishing it).
 */
export async function takeOverPublishing(db: Db, t: { postId: string; taskId: string; attempt: number; staleMs: number }): Promise<PostRow | undefined> {
  return db
    .updateTable('posts')
    .set({ status: 'queued', updated_at: sql`now()` })
    .where('id', '=', t.postId)
    .where('status', '=', 'publishing')
    .where((eb) =>
      eb.or([
        eb.and([eb('publishing_task_id', '=', t.taskId), eb('publishing_attempt', '<', t.attempt)]),
        eb('updated_at', '<', sql<Date>`now() - ${t.staleMs} * interval '1 millisecond'`),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
}
