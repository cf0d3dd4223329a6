import { randomUUID } from 'node:crypto';
import { type PostStatus, type PostTransition, transitionPost } from '@conveyor/db';
import request from 'supertest';
import type { Harness } from './helpers';

// Accounts and posts made through the API, and moved on the way the publishing worker moves
// them (db's transitionPost), to reach every state a client can meet.

export const as = (key: string) => ({ Authorization: `Bearer ${key}` });

export async function newAccount(h: Harness, key = h.keyA): Promise<string> {
  const res = await request(h.app)
    .post('/api/v1/x-accounts')
    .set(as(key))
    .send({ handle: `a_${randomUUID().slice(0, 8)}`, api_tier: 'basic', token_secret_ref: 'env:X_TOKEN_TEST' });
  if (res.status !== 201) throw new Error(`account: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.account_id as string;
}

export async function newPost(h: Harness, accountId: string, key = h.keyA, body: object = {}): Promise<string> {
  const res = await request(h.app)
    .post('/api/v1/posts')
    .set(as(key))
    .send({ account_id: accountId, text: 'Shipping today', ...body });
  if (res.status !== 201) throw new Error(`post: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.post_id as string;
}

/** What the worker (or a schedule) writes with each move. */
const SETS: Partial<Record<PostStatus, PostTransition['set']>> = {
  scheduled: { scheduled_at: new Date(Date.now() + 3_600_000) },
  publishing: { publish_request_id: randomUUID() },
  published: { x_post_id: '1860000000000000001' },
  failed: { last_error: { type: 'XRejected', message: 'duplicate content' } },
};
const PATH: Record<PostStatus, PostStatus[]> = {
  draft: [],
  scheduled: ['scheduled'],
  queued: ['queued'],
  publishing: ['queued', 'publishing'],
  published: ['queued', 'publishing', 'published'],
  failed: ['queued', 'publishing', 'failed'],
  cancelled: ['cancelled'],
};

/** Moves a post on to `to` as the worker would. */
export async function moveTo(h: Harness, postId: string, to: PostStatus): Promise<void> {
  const set = to === 'published' ? { x_post_id: `18600000${Math.floor(Math.random() * 1e10)}` } : SETS[to];
  const moved = await transitionPost(h.db, { postId, to, set } as PostTransition);
  if (!moved.ok) throw new Error(`could not move ${postId} to ${to}: ${JSON.stringify(moved)}`);
}

/** A new post of the account in `status`. */
export async function postIn(h: Harness, accountId: string, status: PostStatus, key = h.keyA): Promise<string> {
  const id = await newPost(h, accountId, key);
  for (const to of PATH[status]) await moveTo(h, id, to);
  return id;
}
