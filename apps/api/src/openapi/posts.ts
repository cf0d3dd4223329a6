import {
  createPostBodySchema,
  listPostsQuerySchema,
  patchPostBodySchema,
  postIdSchema,
  postMetricsViewSchema,
  postViewSchema,
  publishPostResponseSchema,
} from '@conveyor/contracts';
import { z } from 'zod';
import { type ApiRoute, body, error, json, tag } from './parts';

const posts = ['posts'];
const params = z.object({ id: postIdSchema });
const notFound = error('No such post for this tenant');

/** A tenant's posts: create, list, read, edit, delete, publish now, cancel, metrics. */
export function postRoutes(): ApiRoute[] {
  const view = postViewSchema.meta({ id: 'Post' });
  return [
    tag(posts, {
      method: 'post',
      path: '/api/v1/posts',
      operationId: 'createPost',
      summary: 'Write a draft for one of your X accounts',
      description:
        "Text and media are checked against X's rules: at most 280 weighted characters (a URL counts 23, an emoji or CJK character 2), 1-4 images or one GIF or video, http(s) URLs. To schedule it, create a schedule of the task publish_post with payload {post_id}.",
      request: { body: body(createPostBodySchema) },
      responses: {
        201: json(view, 'The draft'),
        400: error('Invalid text, media or account_id; the message says what X allows'),
        404: error('account_id names no X account of this tenant'),
      },
    }),
    tag(posts, {
      method: 'get',
      path: '/api/v1/posts',
      operationId: 'listPosts',
      summary: "The tenant's posts, newest first, cursor-paged; filter by statuses and account",
      request: { query: listPostsQuerySchema },
      responses: {
        200: json(z.object({ posts: z.array(view), next_cursor: z.string().nullable() }), 'A page of posts'),
        400: error('Invalid query (a status not among the allowed ones, say) or cursor'),
      },
    }),
    tag(posts, {
      method: 'get',
      path: '/api/v1/posts/{id}',
      operationId: 'getPost',
      summary: 'A post and where it is on its way to X',
      request: { params },
      responses: { 200: json(view, 'The post'), 404: notFound },
    }),
    tag(posts, {
      method: 'patch',
      path: '/api/v1/posts/{id}',
      operationId: 'updatePost',
      summary: "Change a draft or scheduled post's text or media",
      request: { params, body: body(patchPostBodySchema) },
      responses: { 200: json(view, 'The post'), 400: error('Invalid text or media'), 404: notFound, 409: error('The post is past draft and scheduled') },
    }),
    tag(posts, {
      method: 'delete',
      path: '/api/v1/posts/{id}',
      operationId: 'deletePost',
      summary: 'Delete a draft or scheduled post',
      request: { params },
      responses: { 204: { description: 'Deleted' }, 404: notFound, 409: error('The post is past draft and scheduled') },
    }),
    tag(posts, {
      method: 'post',
      path: '/api/v1/posts/{id}/publish',
      operationId: 'publishPost',
      summary: 'Publish a draft, scheduled or failed post now',
      description:
        'Moves the post to queued and submits its publish_post task in one transaction; concurrent calls make one task. The task id is in the answer and in Location.',
      request: { params },
      responses: {
        202: json(publishPostResponseSchema, 'Queued, with the task that publishes it'),
        404: notFound,
        409: error('The post is queued, publishing, published or cancelled; the message says which and what can be done'),
      },
    }),
    tag(posts, {
      method: 'post',
      path: '/api/v1/posts/{id}/cancel',
      operationId: 'cancelPost',
      summary: 'Cancel a draft, scheduled or queued post; a queued one’s publish task is revoked',
      request: { params },
      responses: {
        200: json(z.object({ post: view, revoked_task_id: z.uuid().nullable(), message: z.string() }), 'Cancelled'),
        404: notFound,
        409: error('The post is being published now, or already published, failed or cancelled'),
      },
    }),
    tag(posts, {
      method: 'get',
      path: '/api/v1/posts/{id}/metrics',
      operationId: 'getPostMetrics',
      summary: "A published post's metrics snapshots, in the order they are taken (15m, 1h, 24h, 7d…)",
      request: { params },
      responses: { 200: json(postMetricsViewSchema, 'The series'), 404: notFound },
    }),
  ];
}
