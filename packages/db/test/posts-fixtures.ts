import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Database, type PostRow, type PostStatus, type PostTransition, createPost, createXAccount, transitionPost } from '../src';

// Posts in any state, reached the way production reaches them: through allowed transitions.

/** A valid `set` for a move to `to`. */
export function setFor(to: PostStatus): PostTransition['set'] {
  switch (to) {
    case 'scheduled':
      return { scheduled_at: new Date(Date.now() + 3_600_000) };
    case 'publishing':
      return { publish_request_id: randomUUID() };
    case 'published':
      return { x_post_id: `x-${randomUUID()}` };
    case 'failed':
      return { last_error: { type: 'XRejected', message: 'duplicate content' } };
    default:
      return {};
  }
}

export function move(db: Kysely<Database>, postId: string, to: PostStatus, from?: PostStatus[]) {
  return transitionPost(db, { postId, to, from, set: setFor(to) } as PostTransition);
}

/** The path from a new draft to each state. */
const PATH: Record<PostStatus, PostStatus[]> = {
  draft: [],
  scheduled: ['scheduled'],
  queued: ['queued'],
  publishing: ['queued', 'publishing'],
  published: ['queued', 'publishing', 'published'],
  failed: ['queued', 'publishing', 'failed'],
  cancelled: ['cancelled'],
};

export async function newAccount(db: Kysely<Database>, tenantId: string, handle = `h${randomUUID().slice(0, 8)}`) {
  return createXAccount(db, { tenant_id: tenantId, handle, api_tier: 'basic', token_secret_ref: `x-token/${handle}` });
}

export async function postIn(db: Kysely<Database>, status: PostStatus, owner: { tenantId: string; accountId: string }): Promise<PostRow> {
  const post = await createPost(db, { tenant_id: owner.tenantId, account_id: owner.accountId, text: `hello ${status}` });
  let row = post;
  for (const to of PATH[status]) {
    const result = await move(db, post.id, to);
    if (!result.ok) throw new Error(`could not move ${post.id} to ${to}: ${JSON.stringify(result)}`);
    row = result.post;
  }
  return row;
}
