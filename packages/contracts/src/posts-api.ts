import { z } from 'zod';
import { POST_STATUSES, postStatusSchema } from './post-status';
import { mediaRefSchema } from './x/media';
import { postMediaSchema, postTextSchema } from './x/post-content';

export const postIdSchema = z.uuid({ error: 'a post id is a UUID' });

/** Body of POST /api/v1/posts: a draft for one of the tenant's accounts, checked against X's rules. */
export const createPostBodySchema = z
  .object({
    account_id: z.uuid({ error: 'account_id is the id of one of your X accounts (a UUID; GET /api/v1/x-accounts)' }),
    text: postTextSchema,
    media: postMediaSchema.optional(),
  })
  .strict();
export type CreatePostBody = z.infer<typeof createPostBodySchema>;

/** Body of PATCH /api/v1/posts/{id}: new text, new media (`[]` drops them), or both. */
export const patchPostBodySchema = z
  .object({ text: postTextSchema, media: postMediaSchema })
  .partial()
  .strict()
  .refine((b) => b.text !== undefined || b.media !== undefined, { message: 'send text, media or both' });
export type PatchPostBody = z.infer<typeof patchPostBodySchema>;

/** Post states in a query: `status=draft,failed`, `status=draft&status=failed`, or one; any case. */
export const postStatusListSchema = z
  .preprocess(
    (value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((v: unknown) => (typeof v === 'string' ? v.split(',') : [v]))
        .map((v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v)),
    z.array(postStatusSchema).min(1).max(20),
  )
  .meta({ description: `One or more of ${POST_STATUSES.join(', ')} (any case), comma-separated or repeated` });

/** Query of GET /api/v1/posts: newest first, filtered by states and account. */
export const listPostsQuerySchema = z
  .object({
    status: postStatusListSchema.optional(),
    account: z.uuid({ error: 'account is an account id (a UUID)' }).optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

/** A post as the API shows it; nothing of its account's token, not even the secret's name. */
export const postViewSchema = z.object({
  post_id: z.uuid(),
  account_id: z.uuid(),
  text: z.string(),
  /** The media as given, in order. */
  media: z.array(mediaRefSchema),
  /** X's media ids, in the order of media, once uploaded. */
  media_ids: z.array(z.string()),
  status: postStatusSchema,
  scheduled_at: z.iso.datetime().nullable(),
  x_post_id: z.string().nullable(),
  published_at: z.iso.datetime().nullable(),
  last_error: z.object({ type: z.string(), message: z.string() }).nullable(),
  /** Claims for publishing so far. */
  attempts: z.number().int().min(0),
  /** The request id (X-Request-Id) of the request that created the post, to find its log lines. */
  correlation_id: z.string().nullable(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type PostView = z.infer<typeof postViewSchema>;

/** 202 of POST /api/v1/posts/{id}/publish */
export const publishPostResponseSchema = z.object({
  post: postViewSchema,
  task_id: z.uuid(),
  /** False when Redis could not take the job now: the reconciler enqueues it once it can. */
  enqueued: z.boolean(),
  message: z.string(),
});

/** GET /api/v1/posts/{id}/metrics: one snapshot per stage, in the order they are taken. */
export const postMetricsViewSchema = z.object({
  post_id: z.uuid(),
  snapshots: z.array(
    z.object({
      stage: z.string(),
      captured_at: z.iso.datetime(),
      impressions: z.number().int().nullable(),
      likes: z.number().int().nullable(),
      reposts: z.number().int().nullable(),
      replies: z.number().int().nullable(),
      quotes: z.number().int().nullable(),
      bookmarks: z.number().int().nullable(),
    }),
  ),
});
