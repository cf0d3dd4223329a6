import type { XMediaStore } from './x-media';
import { NON_PUBLIC_METRICS_MAX_AGE_MS, nonPublicMetrics, publicMetrics } from './x-metrics';
import { duplicateContent, fieldNotAuthorized, forbidden, invalidRequest, postNotFound, textTooLong, type XProblem } from './x-problems';
import { weightedLength, X_MAX_WEIGHTED_LENGTH } from '@conveyor/contracts';

/** A post as the simulator holds it (deleted ones stay, marked, so a test can see them). */
export interface XStoredPost {
  id: string;
  text: string;
  author_id: string;
  created_at: string;
  createdAtMs: number;
  media_ids: string[];
  media_keys: string[];
  in_reply_to_tweet_id?: string;
  deleted: boolean;
}

/** The JSON body of POST /2/tweets, as far as the simulator reads it. */
interface CreateBody {
  text?: unknown;
  media?: { media_ids?: unknown };
  reply?: { in_reply_to_tweet_id?: unknown };
}

type Answer = { status: number; body: Record<string, unknown> };
const byIdDesc = (a: XStoredPost, b: XStoredPost) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1);

/** The posts of every account: create, delete, look up, list, and render with the asked fields. */
export class XPosts {
  readonly all: XStoredPost[] = [];

  constructor(
    private readonly now: () => number,
    private readonly nextId: () => string,
    private readonly media: XMediaStore,
    /** How long the same text by the same user is refused as a duplicate. */
    private readonly duplicateWindowMs: number,
  ) {}

  private live(id: string): XStoredPost | undefined {
    return this.all.find((p) => p.id === id && !p.deleted);
  }

  create(authorId: string, body: CreateBody): Answer | XProblem {
    if (body.text !== undefined && typeof body.text !== 'string') return invalidRequest('`text` must be a string.', 'text');
    const text = body.text ?? '';
    const mediaIds = body.media?.media_ids;
    if (mediaIds !== undefined && (!Array.isArray(mediaIds) || mediaIds.length < 1 || mediaIds.length > 4 || mediaIds.some((m) => typeof m !== 'string')))
      return invalidRequest('`media.media_ids` must hold 1 to 4 media ids (strings).', 'media.media_ids');
    const ids = (mediaIds ?? []) as string[];
    if (!text && ids.length === 0) return invalidRequest('Post text or media is required.', 'text');
    if (weightedLength(text) > X_MAX_WEIGHTED_LENGTH) return textTooLong();
    if (ids.some((id) => !this.media.usableBy(id, authorId))) return invalidRequest('Your media IDs are invalid.', 'media.media_ids');
    const replyTo = body.reply?.in_reply_to_tweet_id;
    if (replyTo !== undefined && (typeof replyTo !== 'string' || !this.live(replyTo)))
      return forbidden('You attempted to reply to a Tweet that is deleted or not visible to you.');
    const now = this.now();
    if (text && this.all.some((p) => !p.deleted && p.author_id === authorId && p.text === text && now - p.createdAtMs < this.duplicateWindowMs))
      return duplicateContent();
    const id = this.nextId();
    this.all.push({
      id,
      text,
      author_id: authorId,
      created_at: new Date(now).toISOString(),
      createdAtMs: now,
      media_ids: ids,
      media_keys: ids.map((m) => this.media.get(m)!.media_key),
      ...(typeof replyTo === 'string' ? { in_reply_to_tweet_id: replyTo } : {}),
      deleted: false,
    });
    return { status: 201, body: { data: { id, text, edit_history_tweet_ids: [id] } } };
  }

  delete(userId: string, id: string): Answer | XProblem {
    const post = this.live(id);
    if (!post) return { status: 200, body: { data: { deleted: false } } };
    if (post.author_id !== userId) return forbidden('You are not allowed to delete this Tweet.');
    post.deleted = true;
    return { status: 200, body: { data: { deleted: true } } };
  }

  /** GET /2/tweets/:id and GET /2/tweets?ids=: found posts under `data`, the others under `errors`. */
  lookup(viewerId: string, ids: string[], fields: Set<string>, single: boolean): Answer {
    const data: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    for (const id of ids) {
      const post = this.live(id);
      if (!post) errors.push(postNotFound(id, single ? 'id' : 'ids'));
      else data.push(this.render(post, viewerId, fields, errors));
    }
    const body: Record<string, unknown> = {};
    if (data.length) body.data = single ? data[0] : data;
    if (errors.length) body.errors = errors;
    return { status: 200, body };
  }

  /** GET /2/users/:id/tweets: the user's live posts, newest first, paged by `pagination_token`. */
  timeline(viewerId: string, userId: string, query: URLSearchParams, fields: Set<string>): Answer | XProblem {
    const max = Number(query.get('max_results') ?? 10);
    if (!Number.isInteger(max) || max < 5 || max > 100)
      return invalidRequest('The `max_results` query parameter value must be between 5 and 100.', 'max_results');
    const sinceId = query.get('since_id');
    let posts = this.all.filter((p) => !p.deleted && p.author_id === userId && (!sinceId || BigInt(p.id) > BigInt(sinceId))).sort(byIdDesc);
    const token = query.get('pagination_token');
    if (token) {
      const from = posts.findIndex((p) => p.id === token);
      if (from === -1) return invalidRequest('The `pagination_token` query parameter value is not valid.', 'pagination_token');
      posts = posts.slice(from);
    }
    const page = posts.slice(0, max);
    if (page.length === 0) return { status: 200, body: { meta: { result_count: 0 } } };
    const errors: Record<string, unknown>[] = [];
    const data = page.map((p) => this.render(p, viewerId, fields, errors));
    const meta: Record<string, unknown> = { result_count: page.length, newest_id: page[0]!.id, oldest_id: page[page.length - 1]!.id };
    if (posts.length > max) meta.next_token = posts[max]!.id;
    return { status: 200, body: { data, meta, ...(errors.length ? { errors } : {}) } };
  }

  /**
   * A post with the default fields (id, text, edit_history_tweet_ids) and those asked in
   * `tweet.fields`. non_public_metrics goes only to the author and only for posts up to 30
   * days old, as X serves it; anyone else gets a Field Authorization Error for it instead.
   */
  private render(post: XStoredPost, viewerId: string, fields: Set<string>, errors: Record<string, unknown>[]): Record<string, unknown> {
    const age = this.now() - post.createdAtMs;
    const out: Record<string, unknown> = { id: post.id, text: post.text, edit_history_tweet_ids: [post.id] };
    if (fields.has('created_at')) out.created_at = post.created_at;
    if (fields.has('author_id')) out.author_id = post.author_id;
    if (fields.has('conversation_id')) out.conversation_id = post.in_reply_to_tweet_id ? this.rootOf(post) : post.id;
    if (fields.has('attachments') && post.media_keys.length) out.attachments = { media_keys: post.media_keys };
    if (fields.has('referenced_tweets') && post.in_reply_to_tweet_id) out.referenced_tweets = [{ type: 'replied_to', id: post.in_reply_to_tweet_id }];
    if (fields.has('public_metrics')) out.public_metrics = publicMetrics(post.id, age);
    if (fields.has('non_public_metrics')) {
      if (post.author_id === viewerId && age <= NON_PUBLIC_METRICS_MAX_AGE_MS) out.non_public_metrics = nonPublicMetrics(post.id, age);
      else errors.push(fieldNotAuthorized(post.id, 'non_public_metrics'));
    }
    return out;
  }

  private rootOf(post: XStoredPost): string {
    let current = post;
    for (let parent = this.all.find((p) => p.id === current.in_reply_to_tweet_id); parent; parent = this.all.find((p) => p.id === current.in_reply_to_tweet_id))
      current = parent;
    return current.id;
  }

  clear(): void {
    this.all.length = 0;
  }
}
