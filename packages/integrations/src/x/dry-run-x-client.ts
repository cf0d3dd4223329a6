import { randomInt } from 'node:crypto';
import type { Logger } from '@conveyor/observability';
import type { XCallAccount, XCallOptions, XClient, XCreatedPost, XMediaUpload, XPostMetrics, XTimelinePost } from './x-client';

/** The mark of every id the dry-run client makes up. Real X ids are digits only, so no real id carries it. */
export const DRY_RUN_ID_PREFIX = 'dryrun-';

/** True for an id made up by DryRunXClient (a post or media id that X never saw). */
export function isDryRunId(id: string): boolean {
  return id.startsWith(DRY_RUN_ID_PREFIX);
}

/** 19 digits like an X snowflake: the time in ms, then 6 random digits, so ids sort by creation and do not collide. */
const snowflakeLike = () => `${Date.now()}`.padStart(13, '0') + `${randomInt(1_000_000)}`.padStart(6, '0');

/**
 * The X client of dry-run mode (the default in development): sends nothing anywhere and
 * answers as X would, with marked ids (`dryrun-<19 digits>`, `dryrun-media-<19 digits>`), no
 * timeline and zero metrics. Each would-be write is logged at info, without the post's text.
 */
export class DryRunXClient implements XClient {
  readonly dryRun = true;

  constructor(private readonly logger?: Logger) {}

  async createPost(account: XCallAccount, post: { text: string; mediaIds?: string[] }, options: XCallOptions = {}): Promise<XCreatedPost> {
    options.signal?.throwIfAborted();
    const id = `${DRY_RUN_ID_PREFIX}${snowflakeLike()}`;
    this.logger?.info('x dry run: post not sent to X', {
      account_id: account.accountId,
      x_post_id: id,
      text_length: post.text.length,
      media_count: post.mediaIds?.length ?? 0,
    });
    return { id, text: post.text };
  }

  async uploadMedia(account: XCallAccount, media: XMediaUpload, options: XCallOptions = {}): Promise<{ mediaId: string }> {
    options.signal?.throwIfAborted();
    const mediaId = `${DRY_RUN_ID_PREFIX}media-${snowflakeLike()}`;
    this.logger?.info('x dry run: media not uploaded to X', {
      account_id: account.accountId,
      media_id: mediaId,
      mime_type: media.mimeType,
      bytes: media.bytes.length,
    });
    return { mediaId };
  }

  async recentPosts(_account: XCallAccount, _since: Date, options: XCallOptions = {}): Promise<XTimelinePost[]> {
    options.signal?.throwIfAborted();
    return [];
  }

  async postMetrics(_account: XCallAccount, ids: string[], _withImpressions: boolean, options: XCallOptions = {}): Promise<XPostMetrics[]> {
    options.signal?.throwIfAborted();
    return [...new Set(ids)].map((id) => ({ id, likes: 0, reposts: 0, replies: 0, quotes: 0, bookmarks: 0, impressions: null }));
  }
}
