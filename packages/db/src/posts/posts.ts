import { type Kysely, sql } from 'kysely';
import { afterCursor, createdAtText, pageOf } from '../cursor';
import type { Database, PostRow, PostStatus } from '../schema';
import { EDITABLE_POST_STATUSES } from './transitions';
import { type PostWriteResult, missedWrite } from './write-result';

// A tenant's posts: create, read, list, and the edits and deletes allowed before publishing.
// State changes after that go through transitionPost.

type Db = Kysely<Database>;

/** Thrown when a post names an account its tenant does not have. */
export class XAccountNotFoundError extends Error {
  override name = 'XAccountNotFoundError';
}

async function accountMustExist<T>(accountId: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (code === '23503' && constraint === 'posts_account') throw new XAccountNotFoundError(`no account ${String(accountId)}`);
    throw error;
  }
}

export type NewPost = {
  tenant_id: string;
  account_id: string;
  text: string;
  media_refs?: unknown[];
  correlation_id?: string | null;
} & ({ status?: 'draft'; scheduled_at?: null } | { status: 'scheduled'; scheduled_at: Date | string });

/** A new post, a draft or scheduled (then with its time). */
export function createPost(db: Db, post: NewPost): Promise<PostRow> {
  const { media_refs, ...rest } = post;
  return accountMustExist(post.account_id, () =>
    db
      .insertInto('posts')
      .values({ ...rest, ...(media_refs ? { media_refs: JSON.stringify(media_refs) } : {}) })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

/** A tenant's post; another tenant's is indistinguishable from a missing one. */
export function findPostForTenant(db: Db, id: string, tenantId: string): Promise<PostRow | undefined> {
  return db.selectFrom('posts').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
}

/** A post by id, whoever owns it (workers only). */
export function findPost(db: Db, id: string): Promise<PostRow | undefined> {
  return db.selectFrom('posts').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface ListPostsQuery {
  status?: PostStatus[];
  accountId?: string;
  after?: { createdAt: string; id: string };
  limit: number;
}

/** A page of a tenant's posts, newest first, with the cursor of the next page (as tasks). */
export async function listPostsForTenant(db: Db, tenantId: string, query: ListPostsQuery): Promise<{ rows: PostRow[]; next?: string }> {
  let q = db.selectFrom('posts').selectAll().select(createdAtText.as('cursor_at')).where('tenant_id', '=', tenantId);
  if (query.status?.length) q = q.where('status', 'in', query.status);
  if (query.accountId) q = q.where('account_id', '=', query.accountId);
  if (query.after) q = q.where(afterCursor(query.after));
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return pageOf(rows, query.limit, (row) => row.id);
}

export interface PostEdit {
  text?: string;
  media_refs?: unknown[];
  account_id?: string;
  /** A new time for a scheduled post (to unschedule, move it to draft). */
  scheduled_at?: Date | string;
}

/**
 * Edits a post while it is a draft or scheduled, in one
 * `UPDATE … WHERE id AND tenant_id AND status IN ('draft', 'scheduled')`; a post past that
 * is a `conflict` naming its state.
 */
export async function editPost(db: Db, id: string, tenantId: string, edit: PostEdit): Promise<PostWriteResult<{ post: PostRow }>> {
  const { media_refs, ...rest } = edit;
  const post = await accountMustExist(edit.account_id, () =>
    db
      .updateTable('posts')
      .set({ ...rest, ...(media_refs ? { media_refs: JSON.stringify(media_refs) } : {}), updated_at: sql`now()` })
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('status', 'in', EDITABLE_POST_STATUSES)
      .returningAll()
      .executeTakeFirst(),
  );
  return post ? { ok: true, post } : missedWrite(db, id, tenantId);
}

/** Deletes a post (and its metrics) while it is a draft or scheduled; the same answers as editPost. */
export async function deletePost(db: Db, id: string, tenantId: string): Promise<PostWriteResult<object>> {
  const deleted = await db
    .deleteFrom('posts')
    .where('id', '=', id)
    .where('tenant_id', '=', tenantId)
    .where('status', 'in', EDITABLE_POST_STATUSES)
    .returning('id')
    .executeTakeFirst();
  return deleted ? { ok: true } : missedWrite(db, id, tenantId);
}
