import { z } from 'zod';
import { defineTask } from '../define-task';

const postId = z.uuid({ error: 'post_id must be a post id (a UUID)' });
/** How long after publication a metrics snapshot is taken: a number and s, m, h or d. */
export const metricsStageSchema = z.string().regex(/^[1-9][0-9]{0,4}[smhd]$/, "a stage is a number and s, m, h or d, like '15m', '24h' or '7d'");

const STAGE_UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A stage's length in milliseconds ('15m' → 900000). */
export function stageMs(stage: string): number {
  return Number(stage.slice(0, -1)) * STAGE_UNIT_MS[stage.slice(-1) as keyof typeof STAGE_UNIT_MS];
}

// X calls: a 429 defers the task to the window's reset without spending an attempt (see
// DeferTaskError); 5xx, timeouts and resets retry with backoff; 4xx fail at once.
const xCallDefaults = { attempts: 6, softTimeoutMs: 60_000, hardTimeoutMs: 75_000, backoff: { baseMs: 2000, maxMs: 5 * 60_000 } };

export const publishPost = defineTask({
  name: 'publish_post',
  queue: 'publishing',
  description:
    "Publishes a post to X once: uploads any media not yet uploaded, creates the post, records X's id, and plans its metrics captures. A post already published, cancelled or failed is left as it is.",
  payload: z.object({ post_id: postId }).strict(),
  result: z.object({
    post_id: z.uuid(),
    status: z.enum(['published', 'skipped']),
    x_post_id: z.string().nullable(),
    /** True when X already held the post (an earlier attempt's call went through) and it was recorded, not sent again. */
    recovered: z.boolean(),
    dry_run: z.boolean(),
    /** Why nothing was published (skipped). */
    reason: z.string().optional(),
  }),
  defaults: xCallDefaults,
});

export const prepareMedia = defineTask({
  name: 'prepare_media',
  queue: 'publishing',
  description:
    "Fetches each of a post's media references (http/https only, never a private address, within X's size and type limits), uploads it to X, and keeps its media id on the post; media already uploaded are not uploaded again.",
  payload: z.object({ post_id: postId }).strict(),
  result: z.object({ post_id: z.uuid(), media_ids: z.array(z.string()), uploaded: z.number().int().min(0) }),
  defaults: { ...xCallDefaults, softTimeoutMs: 10 * 60_000, hardTimeoutMs: 11 * 60_000 },
});

export const captureMetrics = defineTask({
  name: 'capture_metrics',
  queue: 'publishing',
  description: "Stores one snapshot of a published post's metrics (impressions, likes, reposts, replies, quotes, bookmarks) for a stage after publication.",
  payload: z.object({ post_id: postId, stage: metricsStageSchema }).strict(),
  result: z.object({
    post_id: z.uuid(),
    stage: z.string(),
    stored: z.boolean(),
    impressions: z.number().int().nullable(),
    likes: z.number().int(),
    reposts: z.number().int(),
    replies: z.number().int(),
    quotes: z.number().int(),
    bookmarks: z.number().int(),
  }),
  defaults: xCallDefaults,
});
