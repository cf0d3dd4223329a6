import type { MediaRef, PostView, XAccountView } from '@conveyor/contracts';
import type { MetricsSnapshotRow, PostRow, XAccountRow } from '@conveyor/db';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** An X account as the API shows it: the name of its token's secret, never a token. */
export function toXAccountView(row: XAccountRow): XAccountView {
  return {
    account_id: row.id,
    handle: row.handle,
    api_tier: row.api_tier,
    token_secret_ref: row.token_secret_ref,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/**
 * A post as the API shows it. Its publish bookkeeping (publish_request_id) stays inside, and
 * nothing of its account's token is on the row to begin with.
 */
export function toPostView(row: PostRow): PostView {
  return {
    post_id: row.id,
    account_id: row.account_id,
    text: row.text,
    media: row.media_refs as MediaRef[],
    media_ids: row.media_ids,
    status: row.status,
    scheduled_at: iso(row.scheduled_at),
    x_post_id: row.x_post_id,
    published_at: iso(row.published_at),
    last_error: row.last_error ? { type: row.last_error.type, message: row.last_error.message } : null,
    attempts: row.attempts,
    correlation_id: row.correlation_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** A post's metrics series, in the order the snapshots are taken. */
export function toMetricsView(postId: string, rows: MetricsSnapshotRow[]) {
  return {
    post_id: postId,
    snapshots: rows.map((s) => ({
      stage: s.stage,
      captured_at: s.captured_at.toISOString(),
      impressions: s.impressions,
      likes: s.likes,
      reposts: s.reposts,
      replies: s.replies,
      quotes: s.quotes,
      bookmarks: s.bookmarks,
    })),
  };
}
