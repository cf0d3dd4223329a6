import { createPostBodySchema, listPostsQuerySchema, patchPostBodySchema } from '@conveyor/contracts';
import {
  type Database,
  EDITABLE_POST_STATUSES,
  XAccountNotFoundError,
  createPost,
  deletePost,
  disablePostSchedules,
  editPost,
  listMetricsSnapshots,
  listPostsForTenant,
} from '@conveyor/db';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { cursorOf } from '../cursor';
import { HttpError, validationError } from '../http-error';
import { loadPost } from '../load-post';
import { tenantOf } from '../middleware/authenticate';
import { postConflict } from '../post-conflict';
import { toMetricsView, toPostView } from '../post-view';
import { parseQuery } from '../query';

export interface PostRouteDeps {
  db: Kysely<Database>;
}

// A post naming an account the tenant does not have is a 404, as any other tenant's object is
// (invariant 9): "no such account of yours", whether it is missing or someone else's.
const accountMissing = (error: unknown): never => {
  if (error instanceof XAccountNotFoundError)
    throw new HttpError(404, 'x_account_not_found', `${error.message}: account_id must name one of your X accounts (GET /api/v1/x-accounts)`, [
      { path: 'account_id', message: 'no such X account of yours' },
    ]);
  throw error;
};

/** The tenant's posts (README.md, "Publishing to X"): create, list, read, edit, delete, and their metrics. */
export function postsRouter(deps: PostRouteDeps): Router {
  const router = Router();

  router.post('/posts', async (req, res) => {
    const body = createPostBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'post');
    const { account_id, text, media } = body.data;
    const row = await createPost(deps.db, {
      tenant_id: tenantOf(res),
      account_id,
      text,
      media_refs: media ?? [],
      correlation_id: res.locals.requestId as string,
    }).catch(accountMissing);
    res.status(201).location(`/api/v1/posts/${row.id}`).json(toPostView(row));
  });

  router.get('/posts', async (req, res) => {
    const query = parseQuery(req, listPostsQuerySchema);
    const page = await listPostsForTenant(deps.db, tenantOf(res), {
      status: query.status,
      accountId: query.account,
      after: cursorOf(query.cursor),
      limit: query.limit,
    });
    res.json({ posts: page.rows.map(toPostView), next_cursor: page.next ?? null });
  });

  router.get('/posts/:id', async (req, res) => {
    res.json(toPostView(await loadPost(deps.db, req, res)));
  });

  router.patch('/posts/:id', async (req, res) => {
    const post = await loadPost(deps.db, req, res);
    const body = patchPostBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'post change');
    const result = await editPost(deps.db, post.id, tenantOf(res), { text: body.data.text, media_refs: body.data.media });
    if (!result.ok && result.reason === 'not_found') throw new HttpError(404, 'post_not_found', `No post ${post.id}`);
    if (!result.ok) throw postConflict(result.current, 'edited', EDITABLE_POST_STATUSES);
    res.json(toPostView(result.post));
  });

  router.delete('/posts/:id', async (req, res) => {
    const post = await loadPost(deps.db, req, res);
    // The post and its schedules go together: none of them fires later for a post that is gone.
    const result = await deps.db.transaction().execute(async (trx) => {
      const deleted = await deletePost(trx, post.id, tenantOf(res));
      if (deleted.ok) await disablePostSchedules(trx, tenantOf(res), post.id);
      return deleted;
    });
    if (!result.ok && result.reason === 'not_found') throw new HttpError(404, 'post_not_found', `No post ${post.id}`);
    if (!result.ok)
      throw postConflict(result.current, 'deleted', EDITABLE_POST_STATUSES, 'a post on its way to X or past it stays; cancel a queued one instead');
    res.status(204).end();
  });

  router.get('/posts/:id/metrics', async (req, res) => {
    const post = await loadPost(deps.db, req, res);
    res.json(toMetricsView(post.id, await listMetricsSnapshots(deps.db, post.id, tenantOf(res))));
  });

  return router;
}
