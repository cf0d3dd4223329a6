import { randomUUID } from 'node:crypto';
import { POST_STATUSES, type PostStatus } from '@conveyor/contracts';
import { recordMetricsSnapshot } from '@conveyor/db';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';
import { as, newAccount, newPost, postIn } from './post-fixtures';

let h: Harness;
let account: string;
beforeAll(async () => {
  h = await startHarness();
  account = await newAccount(h);
});
afterAll(() => h.close());

const create = (body: object, key = h.keyA) => request(h.app).post('/api/v1/posts').set(as(key)).send(body);
const image = (n = 1) => ({ url: `https://cdn.example.com/${n}.png`, kind: 'image' });

describe('posts', () => {
  it('creates a draft and shows every field of the view, never the account’s secret', async () => {
    const res = await create({ account_id: account, text: 'Launch day 🚀 https://example.com/launch', media: [{ ...image(), alt_text: 'the logo' }] });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      post_id: expect.any(String),
      account_id: account,
      text: 'Launch day 🚀 https://example.com/launch',
      media: [{ url: 'https://cdn.example.com/1.png', kind: 'image', alt_text: 'the logo' }],
      media_ids: [],
      status: 'draft',
      scheduled_at: null,
      x_post_id: null,
      published_at: null,
      last_error: null,
      attempts: 0,
      correlation_id: res.headers['x-request-id'],
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(res.headers.location).toBe(`/api/v1/posts/${res.body.post_id}`);
    expect(JSON.stringify(res.body)).not.toMatch(/X_TOKEN|secret/);
    expect((await request(h.app).get(`/api/v1/posts/${res.body.post_id}`).set(as(h.keyA))).body).toEqual(res.body);
  });

  describe('refuses what X would refuse, saying what is wrong', () => {
    it.each([
      ['text', { text: 'a'.repeat(291) }, /^text is 291 weighted characters; X allows 280 \(a URL counts 23/],
      // 257 characters and a space and a URL of any length (23): 281.
      ['text', { text: `${'a'.repeat(257)} https://example.com/${'p'.repeat(300)}` }, /^text is 281 weighted characters/],
      ['text', { text: '😀'.repeat(141) }, /^text is 282 weighted characters/],
      ['text', { text: '   ' }, /^text must not be empty$/],
      ['media', { media: [image(1), { url: 'https://cdn.example.com/v.mp4', kind: 'video' }] }, /not a mix or several/],
      ['media', { media: [1, 2, 3, 4, 5].map(image) }, /at most 4 media files/],
      ['media.0.kind', { media: [{ url: 'https://cdn.example.com/a.pdf', kind: 'document' }] }, /image, gif or video/],
      ['media.0.url', { media: [{ url: 'file:///etc/passwd', kind: 'image' }] }, /http or https URL/],
      ['media.0.url', { media: [{ url: 'javascript:alert(1)', kind: 'image' }] }, /http or https URL/],
      ['account_id', { account_id: 'acme' }, /a UUID/],
      ['(body)', { extra: 1 }, /extra/],
    ])('%s (%#)', async (path, change, message) => {
      const res = await create({ account_id: account, text: 'hello', ...change });
      expect(res.status).toBe(400);
      expect(res.body.issues).toContainEqual({ path, message: expect.stringMatching(message) });
      expect(res.body.message).toMatch(/^Invalid post: /);
    });

    it('takes exactly 280 weighted characters, a URL counting 23 whatever its length', async () => {
      expect((await create({ account_id: account, text: `${'a'.repeat(256)} https://example.com/${'p'.repeat(300)}` })).status).toBe(201);
    });
  });

  it('answers 404 for an account_id that is not one of the tenant’s, whether missing or another tenant’s', async () => {
    const foreign = await newAccount(h, h.keyB);
    for (const id of [foreign, randomUUID()]) {
      const res = await create({ account_id: id, text: 'hello' });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: 'x_account_not_found', issues: [{ path: 'account_id', message: 'no such X account of yours' }] });
    }
  });

  it('edits text and media while draft or scheduled, and answers 409 naming the state after that', async () => {
    for (const status of ['draft', 'scheduled'] as PostStatus[]) {
      const id = await postIn(h, account, status);
      const res = await request(h.app)
        .patch(`/api/v1/posts/${id}`)
        .set(as(h.keyA))
        .send({ text: 'edited', media: [image(2)] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ text: 'edited', media: [image(2)], status });
      const cleared = await request(h.app).patch(`/api/v1/posts/${id}`).set(as(h.keyA)).send({ media: [] });
      expect(cleared.body).toMatchObject({ text: 'edited', media: [] });
    }
    for (const status of ['queued', 'publishing', 'published', 'failed', 'cancelled'] as PostStatus[]) {
      const id = await postIn(h, account, status);
      const res = await request(h.app).patch(`/api/v1/posts/${id}`).set(as(h.keyA)).send({ text: 'too late' });
      expect([status, res.status, res.body.message]).toEqual([status, 409, `post is ${status}; only draft or scheduled posts can be edited`]);
    }
    const id = await newPost(h, account);
    for (const body of [{}, { text: 'a'.repeat(300) }, { account_id: account }]) {
      expect((await request(h.app).patch(`/api/v1/posts/${id}`).set(as(h.keyA)).send(body)).status).toBe(400);
    }
  });

  it('deletes a draft or scheduled post, and answers 409 for the others', async () => {
    for (const status of ['draft', 'scheduled'] as PostStatus[]) {
      const id = await postIn(h, account, status);
      expect((await request(h.app).delete(`/api/v1/posts/${id}`).set(as(h.keyA))).status).toBe(204);
      expect((await request(h.app).get(`/api/v1/posts/${id}`).set(as(h.keyA))).status).toBe(404);
    }
    for (const status of ['queued', 'publishing', 'published', 'failed', 'cancelled'] as PostStatus[]) {
      const id = await postIn(h, account, status);
      const res = await request(h.app).delete(`/api/v1/posts/${id}`).set(as(h.keyA));
      expect([status, res.status]).toEqual([status, 409]);
      expect(res.body.message).toMatch(new RegExp(`^post is ${status}; only draft or scheduled posts can be deleted`));
    }
  });

  it('cancels a draft, scheduled or queued post, and answers 409 for the others', async () => {
    for (const status of ['draft', 'scheduled', 'queued'] as PostStatus[]) {
      const id = await postIn(h, account, status);
      const res = await request(h.app).post(`/api/v1/posts/${id}/cancel`).set(as(h.keyA));
      expect([status, res.status, res.body.post.status]).toEqual([status, 200, 'cancelled']);
    }
    const publishing = await request(h.app)
      .post(`/api/v1/posts/${await postIn(h, account, 'publishing')}/cancel`)
      .set(as(h.keyA));
    expect([publishing.status, publishing.body.message]).toEqual([409, 'post is being published now and can no longer be cancelled']);
    for (const status of ['published', 'failed', 'cancelled'] as PostStatus[]) {
      const res = await request(h.app)
        .post(`/api/v1/posts/${await postIn(h, account, status)}/cancel`)
        .set(as(h.keyA));
      expect([status, res.status, res.body.message]).toEqual([status, 409, `post is ${status}; only draft, scheduled or queued posts can be cancelled`]);
    }
  });

  it('lists newest first, filtered by statuses in any case and by account, a page at a time', async () => {
    const own = await newAccount(h);
    const ids: Record<string, string> = {};
    for (const status of ['draft', 'scheduled', 'failed', 'published'] as PostStatus[]) ids[status] = await postIn(h, own, status);
    const list = async (query: string) => {
      const res = await request(h.app).get(`/api/v1/posts?account=${own}&${query}`).set(as(h.keyA));
      expect(res.status).toBe(200);
      return res.body.posts.map((p: { post_id: string }) => p.post_id);
    };
    expect(await list('')).toEqual([ids.published, ids.failed, ids.scheduled, ids.draft]);
    expect(await list('status=Draft,FAILED')).toEqual([ids.failed, ids.draft]);
    expect(await list('status=scheduled&status=published')).toEqual([ids.published, ids.scheduled]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(h.app)
        .get('/api/v1/posts')
        .query({ account: own, limit: 3, ...(cursor ? { cursor } : {}) })
        .set(as(h.keyA));
      seen.push(...res.body.posts.map((p: { post_id: string }) => p.post_id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([ids.published, ids.failed, ids.scheduled, ids.draft]);
    // Another tenant sees none of them, even naming the account.
    expect((await request(h.app).get(`/api/v1/posts?account=${own}`).set(as(h.keyB))).body.posts).toEqual([]);
  });

  it('answers 400 for a bad status (listing the allowed ones), account, cursor or limit', async () => {
    const status = await request(h.app).get('/api/v1/posts?status=draft,sent').set(as(h.keyA));
    expect(status.status).toBe(400);
    expect(status.body.issues[0]).toMatchObject({
      path: expect.stringMatching(/^query\.status/),
      message: `a post status is one of ${POST_STATUSES.join(', ')}`,
    });
    for (const query of ['account=acme', 'cursor=bm90LWEtY3Vyc29y', 'limit=0', 'limit=201', 'bogus=1', 'status=']) {
      const res = await request(h.app).get(`/api/v1/posts?${query}`).set(as(h.keyA));
      expect([query, res.status]).toEqual([query, 400]);
    }
  });

  it('shows the metrics series in the order the snapshots are taken', async () => {
    const id = await postIn(h, account, 'published');
    for (const [stage, likes] of [
      ['24h', 30],
      ['15m', 2],
      ['7d', 41],
      ['1h', 9],
    ] as const) {
      expect(
        await recordMetricsSnapshot(h.db, { post_id: id, stage, impressions: likes * 10, likes, reposts: 1, replies: 0, quotes: 0, bookmarks: null }),
      ).toBe(true);
    }
    const res = await request(h.app).get(`/api/v1/posts/${id}/metrics`).set(as(h.keyA));
    expect(res.status).toBe(200);
    expect(res.body.post_id).toBe(id);
    expect(res.body.snapshots.map((s: { stage: string }) => s.stage)).toEqual(['15m', '1h', '24h', '7d']);
    expect(res.body.snapshots[0]).toEqual({
      stage: '15m',
      captured_at: expect.any(String),
      impressions: 20,
      likes: 2,
      reposts: 1,
      replies: 0,
      quotes: 0,
      bookmarks: null,
    });
    const none = await request(h.app)
      .get(`/api/v1/posts/${await newPost(h, account)}/metrics`)
      .set(as(h.keyA));
    expect(none.body.snapshots).toEqual([]);
  });

  it('answers 413 for a body over the limit and 400 for one nested too deep, on posts and accounts alike', async () => {
    for (const path of ['/api/v1/posts', '/api/v1/x-accounts']) {
      const huge = await request(h.app)
        .post(path)
        .set({ ...as(h.keyA), 'Content-Type': 'application/json' })
        .send(JSON.stringify({ account_id: account, text: 'a'.repeat(20_000) }));
      expect([path, huge.status, huge.body.error]).toEqual([path, 413, 'payload_too_large']);
      const deep = await request(h.app)
        .post(path)
        .set({ ...as(h.keyA), 'Content-Type': 'application/json' })
        .send(`{"media":${'['.repeat(100)}${']'.repeat(100)}}`);
      expect([path, deep.status, deep.body.error]).toEqual([path, 400, 'body_too_deep']);
    }
  });

  it("answers 404 for another tenant's post on every route, and 400 for a malformed id", async () => {
    const id = await newPost(h, account);
    const routes: [string, () => request.Test][] = [
      ['GET', () => request(h.app).get(`/api/v1/posts/${id}`)],
      ['PATCH', () => request(h.app).patch(`/api/v1/posts/${id}`).send({ text: 'mine now' })],
      ['DELETE', () => request(h.app).delete(`/api/v1/posts/${id}`)],
      ['POST publish', () => request(h.app).post(`/api/v1/posts/${id}/publish`)],
      ['POST cancel', () => request(h.app).post(`/api/v1/posts/${id}/cancel`)],
      ['GET metrics', () => request(h.app).get(`/api/v1/posts/${id}/metrics`)],
    ];
    for (const [name, route] of routes) {
      const res = await route().set(as(h.keyB));
      expect([name, res.status, res.body.error]).toEqual([name, 404, 'post_not_found']);
    }
    const mine = await request(h.app).get(`/api/v1/posts/${id}`).set(as(h.keyA));
    expect(mine.body).toMatchObject({ status: 'draft', text: 'Shipping today' });
    const bad = await request(h.app).get('/api/v1/posts/12345').set(as(h.keyA));
    expect([bad.status, bad.body.error]).toEqual([400, 'invalid_post_id']);
  });
});
