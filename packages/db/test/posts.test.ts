import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  type Database,
  XAccountHandleTakenError,
  XAccountNotFoundError,
  createPost,
  createTenantWithKey,
  decodeCursor,
  deletePost,
  deleteXAccount,
  editPost,
  findPost,
  findPostForTenant,
  findXAccountForTenant,
  listMetricsSnapshots,
  listPostsForTenant,
  listXAccountsForTenant,
  recordMetricsSnapshot,
  updateXAccount,
} from '../src';
import { openTestDb } from './helpers';
import { move, newAccount, postIn } from './posts-fixtures';

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;
let otherTenant: string;

beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'acme', plan: 'trial' })).tenant.id;
  otherTenant = (await createTenantWithKey(db, { name: 'other', plan: 'trial' })).tenant.id;
});
afterAll(() => close());

async function freshTenant() {
  const id = (await createTenantWithKey(db, { name: `t-${randomUUID()}`, plan: 'trial' })).tenant.id;
  return { tenantId: id, accountId: (await newAccount(db, id)).id };
}

describe('X accounts', () => {
  it('are created, read, listed and updated within their tenant only, and keep a secret’s name, not a token', async () => {
    const { tenantId: t } = await freshTenant();
    const b = await newAccount(db, t, 'Bravo');
    const a = await newAccount(db, t, 'alpha');
    expect(b).toMatchObject({ tenant_id: t, handle: 'Bravo', api_tier: 'basic', token_secret_ref: 'x-token/Bravo' });
    expect(await findXAccountForTenant(db, a.id, t)).toEqual(a);
    expect(await findXAccountForTenant(db, a.id, otherTenant)).toBeUndefined();

    const listed = await listXAccountsForTenant(db, t, { limit: 10 });
    expect(listed.map((r) => r.handle)).toEqual(['alpha', 'Bravo', expect.any(String)]);
    expect((await listXAccountsForTenant(db, t, { limit: 10, after: 'ALPHA' })).map((r) => r.handle)).toEqual(['Bravo', expect.any(String)]);

    const updated = await updateXAccount(db, a.id, t, { api_tier: 'pro', handle: 'alpha_2', token_secret_ref: 'vault/x/alpha' });
    expect(updated).toMatchObject({ id: a.id, api_tier: 'pro', handle: 'alpha_2', token_secret_ref: 'vault/x/alpha' });
    expect(updated!.updated_at.getTime()).toBeGreaterThanOrEqual(a.updated_at.getTime());
    expect(await updateXAccount(db, a.id, otherTenant, { api_tier: 'free' })).toBeUndefined();
    expect((await findXAccountForTenant(db, a.id, t))!.api_tier).toBe('pro');
  });

  it('have one handle per tenant, whatever its case; another tenant may hold the same handle', async () => {
    const { tenantId: t } = await freshTenant();
    const taken = await newAccount(db, t, 'Acme_News');
    await expect(newAccount(db, t, 'acme_news')).rejects.toBeInstanceOf(XAccountHandleTakenError);
    const second = await newAccount(db, t, 'acme_sport');
    await expect(updateXAccount(db, second.id, t, { handle: 'ACME_NEWS' })).rejects.toBeInstanceOf(XAccountHandleTakenError);
    await expect(newAccount(db, otherTenant, 'Acme_News')).resolves.toMatchObject({ handle: 'Acme_News' });
    expect(await findXAccountForTenant(db, taken.id, t)).toEqual(taken);
  });

  it('refuse what the schema forbids: a malformed handle, an unknown tier', async () => {
    await expect(newAccount(db, tenantId, '@with_at')).rejects.toMatchObject({ code: '23514' });
    await expect(newAccount(db, tenantId, 'much_too_long_handle')).rejects.toMatchObject({ code: '23514' });
    await expect(
      db
        .insertInto('x_accounts')
        .values({ tenant_id: tenantId, handle: 'tier', api_tier: 'gold' as never, token_secret_ref: 'r' })
        .execute(),
    ).rejects.toMatchObject({
      code: '23514',
    });
  });

  it('are not deleted while a post of theirs is queued or publishing; otherwise go with their posts and metrics', async () => {
    const owner = await freshTenant();
    const queued = await postIn(db, 'queued', owner);
    const publishing = await postIn(db, 'publishing', owner);
    const published = await postIn(db, 'published', owner);
    await recordMetricsSnapshot(db, { post_id: published.id, stage: '1h', likes: 3 });

    expect(await deleteXAccount(db, owner.accountId, otherTenant)).toEqual({ ok: false, reason: 'not_found' });
    expect(await deleteXAccount(db, owner.accountId, owner.tenantId)).toEqual({ ok: false, reason: 'in_flight', posts: 2 });
    await move(db, queued.id, 'cancelled');
    expect(await deleteXAccount(db, owner.accountId, owner.tenantId)).toEqual({ ok: false, reason: 'in_flight', posts: 1 });
    await move(db, publishing.id, 'failed');
    expect(await deleteXAccount(db, owner.accountId, owner.tenantId)).toEqual({ ok: true });

    expect(await findXAccountForTenant(db, owner.accountId, owner.tenantId)).toBeUndefined();
    for (const post of [queued, publishing, published]) expect(await findPost(db, post.id)).toBeUndefined();
    expect(await listMetricsSnapshots(db, published.id)).toEqual([]);
    expect(await deleteXAccount(db, owner.accountId, owner.tenantId)).toEqual({ ok: false, reason: 'not_found' });
  });

  it('are never deleted under a post that a concurrent move has just queued', async () => {
    for (let round = 0; round < 20; round += 1) {
      const owner = await freshTenant();
      const draft = await postIn(db, 'draft', owner);
      const [deleted, queued] = await Promise.all([deleteXAccount(db, owner.accountId, owner.tenantId), move(db, draft.id, 'queued', ['draft'])]);
      // Either the account went first (the post with it), or the post was queued first and the account stays.
      expect([deleted.ok, queued.ok].filter(Boolean)).toHaveLength(1);
      if (queued.ok) expect(deleted).toEqual({ ok: false, reason: 'in_flight', posts: 1 });
      else expect(queued).toEqual({ ok: false, reason: 'not_found' });
      expect((await findPost(db, draft.id))?.status).toBe(queued.ok ? 'queued' : undefined);
    }
  });
});

describe('posts', () => {
  it('are created as drafts or scheduled, only on an account of their own tenant', async () => {
    const owner = await freshTenant();
    const draft = await createPost(db, {
      tenant_id: owner.tenantId,
      account_id: owner.accountId,
      text: 'hi',
      media_refs: [{ url: 'https://cdn/a.png' }],
      correlation_id: 'req-1',
    });
    expect(draft).toMatchObject({
      status: 'draft',
      attempts: 0,
      media_refs: [{ url: 'https://cdn/a.png' }],
      media_ids: [],
      correlation_id: 'req-1',
      x_post_id: null,
    });
    const at = new Date(Date.now() + 86_400_000);
    const scheduled = await createPost(db, { tenant_id: owner.tenantId, account_id: owner.accountId, text: 'later', status: 'scheduled', scheduled_at: at });
    expect(scheduled).toMatchObject({ status: 'scheduled', scheduled_at: at });

    const theirAccount = (await newAccount(db, otherTenant)).id;
    await expect(createPost(db, { tenant_id: owner.tenantId, account_id: theirAccount, text: 'x' })).rejects.toBeInstanceOf(XAccountNotFoundError);
    await expect(createPost(db, { tenant_id: owner.tenantId, account_id: randomUUID(), text: 'x' })).rejects.toBeInstanceOf(XAccountNotFoundError);
    // A scheduled post without its time is refused by the schema.
    await expect(
      db.insertInto('posts').values({ tenant_id: owner.tenantId, account_id: owner.accountId, text: 'x', status: 'scheduled' }).execute(),
    ).rejects.toMatchObject({
      code: '23514',
    });
  });

  it('are edited and deleted only while draft or scheduled; later, the answer names the state', async () => {
    const owner = await freshTenant();
    for (const status of ['draft', 'scheduled'] as const) {
      const post = await postIn(db, status, owner);
      const account = (await newAccount(db, owner.tenantId)).id;
      const edited = await editPost(db, post.id, owner.tenantId, { text: 'edited', media_refs: ['m1'], account_id: account });
      expect(edited).toMatchObject({ ok: true, post: { id: post.id, status, text: 'edited', media_refs: ['m1'], account_id: account } });
      expect(await deletePost(db, post.id, owner.tenantId)).toEqual({ ok: true });
      expect(await findPost(db, post.id)).toBeUndefined();
    }
    for (const status of ['queued', 'publishing', 'published', 'failed', 'cancelled'] as const) {
      const post = await postIn(db, status, owner);
      expect(await editPost(db, post.id, owner.tenantId, { text: 'too late' })).toEqual({ ok: false, reason: 'conflict', current: status });
      expect(await deletePost(db, post.id, owner.tenantId)).toEqual({ ok: false, reason: 'conflict', current: status });
      expect(await findPost(db, post.id)).toEqual(post);
    }
  });

  it('move to a new time while scheduled, and never onto another tenant’s account', async () => {
    const owner = await freshTenant();
    const post = await postIn(db, 'scheduled', owner);
    const later = new Date(Date.now() + 7 * 86_400_000);
    expect(await editPost(db, post.id, owner.tenantId, { scheduled_at: later })).toMatchObject({ ok: true, post: { scheduled_at: later } });
    const theirAccount = (await newAccount(db, otherTenant)).id;
    await expect(editPost(db, post.id, owner.tenantId, { account_id: theirAccount })).rejects.toBeInstanceOf(XAccountNotFoundError);
    expect((await findPost(db, post.id))!.account_id).toBe(owner.accountId);
  });

  it('of another tenant are not found: not read, edited, deleted', async () => {
    const theirs = await postIn(db, 'draft', await freshTenant());
    expect(await findPostForTenant(db, theirs.id, tenantId)).toBeUndefined();
    expect(await editPost(db, theirs.id, tenantId, { text: 'mine now' })).toEqual({ ok: false, reason: 'not_found' });
    expect(await deletePost(db, theirs.id, tenantId)).toEqual({ ok: false, reason: 'not_found' });
    expect(await findPost(db, theirs.id)).toEqual(theirs);
    expect(await findPostForTenant(db, theirs.id, theirs.tenant_id)).toEqual(theirs);
  });

  it('are listed newest first by status and account, a page at a time, without skipping rows that share a time', async () => {
    const owner = await freshTenant();
    const second = (await newAccount(db, owner.tenantId)).id;
    // One statement: every row gets the same now(), the worst case for a cursor.
    const rows = await db
      .insertInto('posts')
      .values(Array.from({ length: 25 }, (_, i) => ({ tenant_id: owner.tenantId, account_id: i % 5 === 0 ? second : owner.accountId, text: `p${i}` })))
      .returning('id')
      .execute();
    const ids = rows.map((r) => r.id);
    await move(db, ids[1]!, 'queued');
    await move(db, ids[2]!, 'queued');
    await move(db, ids[3]!, 'cancelled');
    await postIn(db, 'queued', { tenantId: otherTenant, accountId: (await newAccount(db, otherTenant)).id });

    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listPostsForTenant(db, owner.tenantId, { limit: 7, after: cursor ? decodeCursor(cursor) : undefined });
      expect(page.rows.length).toBeLessThanOrEqual(7);
      all.push(...page.rows.map((r) => r.id));
      cursor = page.next;
    } while (cursor);
    expect(all).toHaveLength(25);
    expect(new Set(all)).toEqual(new Set(ids));
    expect(all).toEqual([...all].sort().reverse());

    const queued = await listPostsForTenant(db, owner.tenantId, { limit: 50, status: ['queued'] });
    expect(new Set(queued.rows.map((r) => r.id))).toEqual(new Set([ids[1], ids[2]]));
    expect(queued.next).toBeUndefined();
    const either = await listPostsForTenant(db, owner.tenantId, { limit: 50, status: ['queued', 'cancelled'] });
    expect(either.rows).toHaveLength(3);
    const onSecond = await listPostsForTenant(db, owner.tenantId, { limit: 50, accountId: second });
    expect(new Set(onSecond.rows.map((r) => r.id))).toEqual(new Set(ids.filter((_, i) => i % 5 === 0)));
    const both = await listPostsForTenant(db, owner.tenantId, { limit: 50, accountId: second, status: ['draft'] });
    expect(both.rows).toHaveLength(5);
    expect(await listPostsForTenant(db, owner.tenantId, { limit: 50, accountId: second, status: ['queued'] })).toEqual({ rows: [], next: undefined });
  });
});

describe('metrics snapshots', () => {
  it('are recorded once per post and stage: a repeat changes nothing', async () => {
    const post = await postIn(db, 'published', await freshTenant());
    expect(
      await recordMetricsSnapshot(db, { post_id: post.id, stage: '1h', impressions: 100, likes: 5, reposts: 1, replies: 2, quotes: 0, bookmarks: 3 }),
    ).toBe(true);
    const first = await listMetricsSnapshots(db, post.id);
    expect(await recordMetricsSnapshot(db, { post_id: post.id, stage: '1h', impressions: 999, likes: 99 })).toBe(false);
    expect(await listMetricsSnapshots(db, post.id)).toEqual(first);
    expect(first).toEqual([
      {
        tenant_id: post.tenant_id,
        post_id: post.id,
        stage: '1h',
        impressions: 100,
        likes: 5,
        reposts: 1,
        replies: 2,
        quotes: 0,
        bookmarks: 3,
        captured_at: expect.any(Date),
      },
    ]);
    expect(await recordMetricsSnapshot(db, { post_id: randomUUID(), stage: '1h' })).toBe(false);
  });

  it('list as a series in stage order, for the post’s tenant only', async () => {
    const post = await postIn(db, 'published', await freshTenant());
    for (const stage of ['7d', '1h', '24h', '90m', '15m']) await recordMetricsSnapshot(db, { post_id: post.id, stage, likes: 1 });
    expect((await listMetricsSnapshots(db, post.id, post.tenant_id)).map((s) => s.stage)).toEqual(['15m', '1h', '90m', '24h', '7d']);
    expect(await listMetricsSnapshots(db, post.id, tenantId)).toEqual([]);
    await expect(recordMetricsSnapshot(db, { post_id: post.id, stage: 'soon' })).rejects.toMatchObject({ code: '23514' });
  });
});
