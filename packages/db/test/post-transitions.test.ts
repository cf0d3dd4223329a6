import { randomUUID } from 'node:crypto';
import type { Kysely, KyselyPlugin } from 'kysely';
import {
  type Database,
  InvalidPostTransitionError,
  POST_STATUSES,
  POST_TRANSITIONS,
  type PostStatus,
  type PostTransition,
  claimPostForPublishing,
  createTenantWithKey,
  findPost,
  isAllowedTransition,
  transitionPost,
} from '../src';
import { openTestDb } from './helpers';
import { move, newAccount, postIn, setFor } from './posts-fixtures';

let db: Kysely<Database>;
let close: () => Promise<void>;
let owner: { tenantId: string; accountId: string };
let other: { tenantId: string; accountId: string };

beforeAll(async () => {
  ({ db, close } = await openTestDb());
  const a = (await createTenantWithKey(db, { name: 'acme', plan: 'trial' })).tenant.id;
  const b = (await createTenantWithKey(db, { name: 'other', plan: 'trial' })).tenant.id;
  owner = { tenantId: a, accountId: (await newAccount(db, a)).id };
  other = { tenantId: b, accountId: (await newAccount(db, b)).id };
});
afterAll(() => close());

const pairs = POST_STATUSES.flatMap((from) => POST_STATUSES.map((to) => [from, to] as [PostStatus, PostStatus]));
const allowed = pairs.filter(([from, to]) => isAllowedTransition(from, to));
const refused = pairs.filter(([from, to]) => !isAllowedTransition(from, to));

describe('the publish state machine', () => {
  it('has the moves issue 16 names, and none out of published or cancelled', () => {
    expect(allowed.map(([f, t]) => `${f}>${t}`).sort()).toEqual(
      [
        'draft>scheduled',
        'draft>queued',
        'draft>cancelled',
        'scheduled>draft',
        'scheduled>queued',
        'scheduled>cancelled',
        'queued>publishing',
        'queued>cancelled',
        'publishing>published',
        'publishing>failed',
        'publishing>queued',
        'failed>queued',
      ].sort(),
    );
    expect(refused).toHaveLength(POST_STATUSES.length ** 2 - 12);
  });

  it.each(allowed)('moves a post from %s to %s, and writes what that move writes', async (from, to) => {
    const before = await postIn(db, from, owner);
    const result = await transitionPost(db, { postId: before.id, from: [from], to, set: setFor(to) } as PostTransition);
    if (!result.ok) throw new Error(JSON.stringify(result));
    const after = result.post;
    expect(after.status).toBe(to);
    expect(after.updated_at.getTime()).toBeGreaterThanOrEqual(before.updated_at.getTime());
    expect(await findPost(db, before.id)).toEqual(after);
    if (to === 'scheduled') expect(after.scheduled_at).toBeInstanceOf(Date);
    if (to === 'draft') expect(after.scheduled_at).toBeNull();
    if (to === 'publishing') {
      expect(after.attempts).toBe(before.attempts + 1);
      expect(after.publish_request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(after.publish_started_at).toBeInstanceOf(Date);
    }
    if (to === 'published') {
      expect(after.x_post_id).toMatch(/^x-/);
      expect(after.published_at).toBeInstanceOf(Date);
      expect(after.last_error).toBeNull();
    }
    if (to === 'failed') expect(after.last_error).toEqual({ type: 'XRejected', message: 'duplicate content' });
    // Every other column is as it was.
    const untouched = ['id', 'tenant_id', 'account_id', 'text', 'media_refs', 'media_ids', 'created_at', 'correlation_id'] as const;
    for (const column of untouched) expect(after[column]).toEqual(before[column]);
  });

  it('refuses every move not in the table with a typed error, before sending any query', async () => {
    let queries = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        queries += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const watched = db.withPlugin(counting);
    for (const [from, to] of refused) {
      const before = await postIn(db, from, owner);
      queries = 0;
      const attempt = transitionPost(watched, { postId: before.id, from: [from], to, set: setFor(to) } as PostTransition);
      await expect(attempt).rejects.toBeInstanceOf(InvalidPostTransitionError);
      const error = (await attempt.catch((e: unknown) => e)) as InvalidPostTransitionError;
      expect(error).toMatchObject({ from: [from], to, allowedFrom: POST_STATUSES.filter((s) => POST_TRANSITIONS[s].includes(to)) });
      expect(error.message).toContain(`from ${from} to ${to}`);
      expect(queries).toBe(0);
      expect(await findPost(db, before.id)).toEqual(before);
    }
    // The counter sees the queries that are sent.
    await findPost(watched, randomUUID());
    expect(queries).toBe(1);
  });

  it('refuses a list of expected states when any of them may not make the move', async () => {
    const post = await postIn(db, 'queued', owner);
    await expect(transitionPost(db, { postId: post.id, from: ['queued', 'published'], to: 'cancelled' })).rejects.toThrow(
      /from published to cancelled: only draft, scheduled, queued can move to cancelled/,
    );
    expect((await findPost(db, post.id))!.status).toBe('queued');
  });

  it('by default expects any state that may make the move', async () => {
    for (const from of ['draft', 'scheduled', 'queued'] as const) {
      const post = await postIn(db, from, owner);
      expect(await transitionPost(db, { postId: post.id, to: 'cancelled' })).toMatchObject({ ok: true, post: { status: 'cancelled' } });
    }
    const published = await postIn(db, 'published', owner);
    expect(await transitionPost(db, { postId: published.id, to: 'cancelled' })).toEqual({ ok: false, reason: 'conflict', current: 'published' });
  });

  it('tells a lost race (conflict, with the state now) from a post that does not exist', async () => {
    const post = await postIn(db, 'publishing', owner);
    expect(await move(db, post.id, 'cancelled', ['queued'])).toEqual({ ok: false, reason: 'conflict', current: 'publishing' });
    expect(await move(db, randomUUID(), 'cancelled', ['queued'])).toEqual({ ok: false, reason: 'not_found' });
  });

  it('lets exactly one of two concurrent moves from the same state win, every time', async () => {
    for (let round = 0; round < 20; round += 1) {
      const post = await postIn(db, 'queued', owner);
      // Two workers claim, or a worker claims while the user cancels: the same starting state.
      const rival = round % 2 ? claimPostForPublishing(db, { postId: post.id, publishRequestId: randomUUID() }) : move(db, post.id, 'cancelled', ['queued']);
      const results = await Promise.all([claimPostForPublishing(db, { postId: post.id, publishRequestId: randomUUID() }), rival]);
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const final = (await findPost(db, post.id))!;
      expect(results.find((r) => !r.ok)).toEqual({ ok: false, reason: 'conflict', current: final.status });
      expect(final.attempts).toBe(final.status === 'publishing' ? 1 : 0);
    }
  });

  it('records the publish request with the claim, and keeps it across a retry so the next claim knows a call may have happened', async () => {
    const post = await postIn(db, 'queued', owner);
    const first = randomUUID();
    const claimed = await claimPostForPublishing(db, { postId: post.id, publishRequestId: first });
    expect(claimed).toMatchObject({ ok: true, callMayHaveHappened: false, post: { attempts: 1, publish_request_id: first } });
    const startedAt = claimed.ok && claimed.post.publish_started_at;

    // The worker was lost mid-call: back to queued, the request kept.
    expect(
      await transitionPost(db, { postId: post.id, from: ['publishing'], to: 'queued', set: { last_error: { type: 'Lost', message: 'timeout' } } }),
    ).toMatchObject({
      ok: true,
      post: { publish_request_id: first, last_error: { type: 'Lost', message: 'timeout' } },
    });
    const again = await claimPostForPublishing(db, { postId: post.id, publishRequestId: randomUUID() });
    expect(again).toMatchObject({ ok: true, callMayHaveHappened: true, post: { attempts: 2, publish_request_id: first, publish_started_at: startedAt } });

    // X answered that nothing was posted: the retry clears the request, the next claim is fresh.
    await transitionPost(db, { postId: post.id, from: ['publishing'], to: 'queued', set: { clear_publish_request: true } });
    const third = randomUUID();
    expect(await claimPostForPublishing(db, { postId: post.id, publishRequestId: third })).toMatchObject({
      ok: true,
      callMayHaveHappened: false,
      post: { attempts: 3, publish_request_id: third },
    });
    const published = await move(db, post.id, 'published', ['publishing']);
    expect(published).toMatchObject({ ok: true, post: { status: 'published', attempts: 3, last_error: null } });
  });

  it('publishes only from publishing', async () => {
    for (const from of POST_STATUSES.filter((s) => s !== 'publishing')) {
      await expect(move(db, randomUUID(), 'published', [from])).rejects.toBeInstanceOf(InvalidPostTransitionError);
    }
  });

  it('does not move another tenant’s post: it is not found', async () => {
    const theirs = await postIn(db, 'draft', other);
    expect(await transitionPost(db, { tenantId: owner.tenantId, postId: theirs.id, to: 'cancelled' })).toEqual({ ok: false, reason: 'not_found' });
    expect(await findPost(db, theirs.id)).toEqual(theirs);
    expect(await transitionPost(db, { tenantId: other.tenantId, postId: theirs.id, to: 'cancelled' })).toMatchObject({ ok: true });
  });
});
