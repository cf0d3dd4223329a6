import type { XEndpoint, XTier } from '@conveyor/contracts';

// The X API v2 client's shape: what the publishing tasks call. XApiClient (HTTP) and
// DryRunXClient (no call, marked fake ids) both implement it.

/** Who a call is made as, and under which limits. The token never leaves this object. */
export interface XCallAccount {
  /** Conveyor's x_accounts.id: the rate limiter's key. */
  accountId: string;
  tier: XTier;
  /** The OAuth 2.0 user access token, from the secrets provider. */
  token: string;
}

export interface XCallOptions {
  signal?: AbortSignal;
}

export interface XCreatedPost {
  id: string;
  text: string;
}

/** A post of the account's timeline, as GET /2/users/:id/tweets returns it. */
export interface XTimelinePost {
  id: string;
  text: string;
  created_at: string;
}

/** A post's counts: public ones for anyone, impressions (non-public) for its author only. */
export interface XPostMetrics {
  id: string;
  likes: number;
  reposts: number;
  replies: number;
  quotes: number;
  bookmarks: number;
  /** null when X did not give them (not the author, or past X's 30-day window). */
  impressions: number | null;
}

export interface XMediaUpload {
  bytes: Buffer;
  /** The file's MIME type, e.g. image/png or video/mp4. */
  mimeType: string;
  /** X's media_category: tweet_image, tweet_gif or tweet_video. */
  category: string;
}

export interface XClient {
  /** True for the dry-run client: nothing is sent to X and every id is marked fake. */
  readonly dryRun: boolean;
  /** POST /2/tweets. */
  createPost(account: XCallAccount, post: { text: string; mediaIds?: string[] }, options?: XCallOptions): Promise<XCreatedPost>;
  /** Uploads a file (one request for an image, INITIALIZE/APPEND/FINALIZE for video and GIF) and waits until X has processed it. */
  uploadMedia(account: XCallAccount, media: XMediaUpload, options?: XCallOptions): Promise<{ mediaId: string }>;
  /** The account's own posts created at or after `since`, newest first (GET /2/users/me, then GET /2/users/:id/tweets). */
  recentPosts(account: XCallAccount, since: Date, options?: XCallOptions): Promise<XTimelinePost[]>;
  /** Looks posts up with their metrics; non_public_metrics are asked for when `withImpressions`. Missing posts are left out. */
  postMetrics(account: XCallAccount, ids: string[], withImpressions: boolean, options?: XCallOptions): Promise<XPostMetrics[]>;
}

/**
 * How a failed X call should be handled:
 * - rate_limited: the window is spent; `retryAtMs` is its reset (defer, spend no attempt);
 * - transient: 5xx, timeout, reset connection (retry with backoff);
 * - unknown_outcome: the request was sent and no answer came (the post may exist: look before resending);
 * - duplicate: X refused the text as a duplicate of a recent post of the account;
 * - permanent: 4xx that another attempt cannot fix (invalid text, bad media);
 * - auth: 401/403 token problems.
 */
export type XErrorKind = 'rate_limited' | 'transient' | 'unknown_outcome' | 'duplicate' | 'permanent' | 'auth';

/** A failed X call. Its message never carries the token. */
export class XApiError extends Error {
  override name = 'XApiError';
  constructor(
    message: string,
    readonly kind: XErrorKind,
    readonly endpoint: XEndpoint,
    /** The HTTP status, 0 when none came. */
    readonly status: number,
    /** For rate_limited: when the window resets (epoch ms). */
    readonly retryAtMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
