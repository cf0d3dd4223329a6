import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@conveyor/observability';
import type { Registry } from 'prom-client';
import type { XCallLimiter } from './call-limiter';
import { xApiMetrics, type XApiMetrics } from './x-api-metrics';
import {
  XApiError,
  type XCallAccount,
  type XCallOptions,
  type XClient,
  type XCreatedPost,
  type XMediaUpload,
  type XPostMetrics,
  type XTimelinePost,
} from './x-client';
import { XHttp } from './x-http';
import { XMediaUploader } from './x-media-upload';
import { readLookup } from './x-post-metrics';
import { XUserIds } from './x-user-ids';

export interface XApiClientOptions {
  /** https://api.x.com, or the simulator's address. */
  baseUrl: string;
  /** Consulted before every call and told what X's rate-limit headers said after it. */
  limiter?: XCallLimiter;
  /** Milliseconds one request may take, answer included; 30 s by default. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Where the x_api metrics are registered: the app's registry; prom-client's default one otherwise. */
  registry?: Registry;
  /** Bytes per APPEND of a chunked upload; 4 MiB by default. */
  chunkBytes?: number;
  /** How long X may process a video or GIF before the upload fails as transient; 10 minutes by default. */
  maxMediaProcessingMs?: number;
  /** Waits between media STATUS polls; tests give one that advances the simulator's clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Epoch ms, for a 429 without a reset header; Date.now by default. */
  now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
/** How far back recentPosts pages: 5 pages of 100 is far more than any account posts in the windows the publisher looks at. */
const MAX_TIMELINE_PAGES = 5;
/** GET /2/tweets takes 1 to 100 ids. */
const LOOKUP_BATCH = 100;
/** An X post id: a snowflake, digits only. Anything else (a dry-run id) is not on X. */
const X_ID = /^\d{1,19}$/;

/** X's `start_time`: RFC 3339 to the second (floored, so nothing at `since` itself is missed). */
const startTime = (since: Date) => new Date(Math.floor(since.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * The X API v2 client: posts, media uploads, the account's recent posts and post metrics, as
 * the account's user (OAuth 2.0 bearer token). Every call goes through XHttp (limiter, timeout,
 * metrics, error kinds); see the package README for how each failure is classified.
 */
export class XApiClient implements XClient {
  readonly dryRun = false;
  private readonly http: XHttp;
  private readonly media: XMediaUploader;
  private readonly userIds = new XUserIds();

  constructor(options: XApiClientOptions) {
    const metrics: XApiMetrics = xApiMetrics(options.registry);
    this.http = new XHttp({
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      metrics,
      limiter: options.limiter,
      logger: options.logger,
      now: options.now ?? Date.now,
    });
    this.media = new XMediaUploader(this.http, {
      chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
      sleep: options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal })),
      maxProcessingWaitMs: options.maxMediaProcessingMs ?? 10 * 60_000,
    });
  }

  async createPost(account: XCallAccount, post: { text: string; mediaIds?: string[] }, options: XCallOptions = {}): Promise<XCreatedPost> {
    const answer = await this.http.call({
      account,
      endpoint: 'POST /2/tweets',
      method: 'POST',
      path: '/2/tweets',
      json: { text: post.text, ...(post.mediaIds?.length ? { media: { media_ids: post.mediaIds } } : {}) },
      signal: options.signal,
    });
    const data = answer.body?.data as { id?: unknown; text?: unknown } | undefined;
    // X said yes but not with what id: the post most likely exists, so this is not safe to resend.
    if (typeof data?.id !== 'string')
      throw new XApiError(
        'X accepted POST /2/tweets but sent no post id; look for the post before sending it again',
        'unknown_outcome',
        'POST /2/tweets',
        answer.status,
      );
    return { id: data.id, text: typeof data.text === 'string' ? data.text : post.text };
  }

  uploadMedia(account: XCallAccount, media: XMediaUpload, options: XCallOptions = {}): Promise<{ mediaId: string }> {
    return this.media.upload(account, media, options.signal);
  }

  async recentPosts(account: XCallAccount, since: Date, options: XCallOptions = {}): Promise<XTimelinePost[]> {
    const userId = await this.userIdOf(account, options.signal);
    const sinceMs = since.getTime();
    const posts: XTimelinePost[] = [];
    let next: string | undefined;
    for (let page = 0; page < MAX_TIMELINE_PAGES; page += 1) {
      const answer = await this.http.call({
        account,
        endpoint: 'GET /2/users/:id/tweets',
        method: 'GET',
        path: `/2/users/${userId}/tweets`,
        query: { max_results: '100', 'tweet.fields': 'created_at', start_time: startTime(since), ...(next ? { pagination_token: next } : {}) },
        signal: options.signal,
      });
      const data = Array.isArray(answer.body?.data) ? (answer.body.data as Partial<XTimelinePost>[]) : [];
      let reachedOlder = false;
      for (const post of data) {
        if (typeof post.id !== 'string' || typeof post.text !== 'string' || typeof post.created_at !== 'string') continue;
        if (Date.parse(post.created_at) >= sinceMs) posts.push({ id: post.id, text: post.text, created_at: post.created_at });
        else reachedOlder = true;
      }
      next = (answer.body?.meta as { next_token?: unknown } | undefined)?.next_token as string | undefined;
      if (reachedOlder || typeof next !== 'string' || !next) break;
    }
    return posts;
  }

  async postMetrics(account: XCallAccount, ids: string[], withImpressions: boolean, options: XCallOptions = {}): Promise<XPostMetrics[]> {
    const onX = [...new Set(ids)].filter((id) => X_ID.test(id));
    const found = new Map<string, XPostMetrics>();
    for (let i = 0; i < onX.length; i += LOOKUP_BATCH) {
      const batch = onX.slice(i, i + LOOKUP_BATCH);
      const first = await this.lookup(account, batch, withImpressions, options.signal);
      for (const post of first.posts) found.set(post.id, post);
      // Posts X withheld because their non_public_metrics are not ours to read: their public counts still are.
      if (first.refusedIds.length) for (const post of (await this.lookup(account, first.refusedIds, false, options.signal)).posts) found.set(post.id, post);
    }
    return ids.flatMap((id) => {
      const post = found.get(id);
      found.delete(id);
      return post ? [post] : [];
    });
  }

  private async lookup(account: XCallAccount, ids: string[], withImpressions: boolean, signal?: AbortSignal) {
    const answer = await this.http.call({
      account,
      endpoint: 'GET /2/tweets',
      method: 'GET',
      path: '/2/tweets',
      query: { ids: ids.join(','), 'tweet.fields': withImpressions ? 'public_metrics,non_public_metrics' : 'public_metrics' },
      signal,
    });
    return readLookup(answer.body);
  }

  /** The token's X user id, asked of X once per token and process. */
  private async userIdOf(account: XCallAccount, signal?: AbortSignal): Promise<string> {
    const known = this.userIds.get(account.token);
    if (known) return known;
    const answer = await this.http.call({ account, endpoint: 'GET /2/users/me', method: 'GET', path: '/2/users/me', signal });
    const id = (answer.body?.data as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || !X_ID.test(id))
      throw new XApiError('X answered GET /2/users/me without a user id', 'transient', 'GET /2/users/me', answer.status);
    this.userIds.set(account.token, id);
    return id;
  }
}
