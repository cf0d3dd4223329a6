import { weightedLength } from '@conveyor/contracts';
import { XSimulator } from '../src';
import { ALICE, BOB, START, startX } from './x-sim-client';

const x = startX();
const { api, post, control, advance } = x;
beforeAll(x.start);
afterAll(() => x.sim.close());
beforeEach(() => control('POST', 'reset'));

describe('X simulator: posts', () => {
  it('creates a post with X’s 201 shape and looks it up by id and by ids, naming the missing one', async () => {
    const created = await post('hello from the simulator');
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    expect(created.body).toEqual({ data: { id, text: 'hello from the simulator', edit_history_tweet_ids: [id] } });
    expect(id).toMatch(/^\d{19}$/);

    const one = await api('GET', `/2/tweets/${id}?tweet.fields=created_at,author_id`);
    expect(one.body).toEqual({
      data: { id, text: 'hello from the simulator', edit_history_tweet_ids: [id], created_at: new Date(START).toISOString(), author_id: ALICE.id },
    });
    const many = await api('GET', `/2/tweets?ids=${id},123`);
    expect(many.status).toBe(200);
    expect(many.body.data).toEqual([{ id, text: 'hello from the simulator', edit_history_tweet_ids: [id] }]);
    expect(many.body.errors).toEqual([
      expect.objectContaining({
        value: '123',
        resource_id: '123',
        parameter: 'ids',
        title: 'Not Found Error',
        type: 'https://api.twitter.com/2/problems/resource-not-found',
      }),
    ]);
    expect((await api('GET', '/2/tweets?ids=')).status).toBe(400);
  });

  it('answers /2/users/me with the token’s user', async () => {
    expect((await api('GET', '/2/users/me')).body).toEqual({ data: { id: ALICE.id, name: 'alice', username: 'alice' } });
    expect((await api('GET', '/2/users/me', { token: BOB.token })).body.data.id).toBe(BOB.id);
  });

  it('lists a user’s posts newest first, in pages, after since_id, without deleted ones', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await post(`post number ${i}`)).body.data.id as string);
    await post('bob speaks', BOB.token);
    const first = await api('GET', `/2/users/${ALICE.id}/tweets?max_results=5`);
    expect(first.body.data.map((p: { id: string }) => p.id)).toEqual(ids.slice(2).reverse());
    expect(first.body.meta).toEqual({ result_count: 5, newest_id: ids[6], oldest_id: ids[2], next_token: ids[1] });
    const second = await api('GET', `/2/users/${ALICE.id}/tweets?max_results=5&pagination_token=${first.body.meta.next_token}`);
    expect(second.body.data.map((p: { id: string }) => p.id)).toEqual([ids[1], ids[0]]);
    expect(second.body.meta.next_token).toBeUndefined();
    const since = await api('GET', `/2/users/${ALICE.id}/tweets?since_id=${ids[4]}`);
    expect(since.body.data.map((p: { id: string }) => p.id)).toEqual([ids[6], ids[5]]);

    expect((await api('DELETE', `/2/tweets/${ids[6]}`)).body).toEqual({ data: { deleted: true } });
    expect((await api('GET', `/2/users/${ALICE.id}/tweets?max_results=5`)).body.meta.newest_id).toBe(ids[5]);
    expect((await api('GET', `/2/tweets/${ids[6]}`)).body).toEqual({ errors: [expect.objectContaining({ resource_id: ids[6], parameter: 'id' })] });
    expect((await api('GET', `/2/users/${ALICE.id}/tweets?max_results=3`)).status).toBe(400);
    expect((await api('GET', '/2/users/999/tweets')).body).toEqual({ meta: { result_count: 0 } });
  });

  it('lets only the author delete a post', async () => {
    const id = (await post('mine')).body.data.id as string;
    const theirs = await api('DELETE', `/2/tweets/${id}`, { token: BOB.token });
    expect(theirs.status).toBe(403);
    expect(theirs.body).toMatchObject({ title: 'Forbidden', status: 403 });
    expect((await control('GET', 'posts')).posts).toEqual([expect.objectContaining({ id, deleted: false })]);
  });

  it('stores replies and answers them with their conversation', async () => {
    const root = (await post('root')).body.data.id as string;
    const reply = await api('POST', '/2/tweets', { json: { text: 'a reply', reply: { in_reply_to_tweet_id: root } } });
    expect(reply.status).toBe(201);
    const looked = await api('GET', `/2/tweets/${reply.body.data.id}?tweet.fields=conversation_id,referenced_tweets`);
    expect(looked.body.data).toMatchObject({ conversation_id: root, referenced_tweets: [{ type: 'replied_to', id: root }] });
    expect((await api('POST', '/2/tweets', { json: { text: 'to nothing', reply: { in_reply_to_tweet_id: '1' } } })).status).toBe(403);
  });
});

describe('X simulator: auth', () => {
  it('answers a missing or unknown token with 401 problem JSON', async () => {
    for (const token of [null, 'nobody']) {
      const res = await api('GET', '/2/users/me', { token });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ title: 'Unauthorized', detail: 'Unauthorized', type: 'about:blank', status: 401 });
    }
    expect((await control('GET', 'posts')).posts).toEqual([]);
  });

  it('serves accounts added through the control API, and 404s unknown paths', async () => {
    expect(await control('POST', 'accounts', { token: 'tok-carol', id: '300', username: 'carol', tier: 'pro' })).toEqual({ ok: true });
    const me = await api('GET', '/2/users/me', { token: 'tok-carol' });
    expect(me.body.data.username).toBe('carol');
    expect(me.headers.get('x-rate-limit-limit')).toBe('75');
    expect(await control('POST', 'accounts', { token: 't', id: '1', username: 'u', tier: 'gold' })).toEqual({
      error: expect.stringContaining('unknown tier gold'),
    });
    expect((await api('GET', '/2/nothing')).status).toBe(404);
    await control('POST', 'reset');
    expect((await api('GET', '/2/users/me', { token: 'tok-carol' })).status).toBe(401);
  });
});

describe('X simulator: content rules', () => {
  it('refuses the same text from the same user as duplicate content, until the window passes', async () => {
    expect((await post('same words')).status).toBe(201);
    const again = await post('same words');
    expect(again.status).toBe(403);
    expect(again.body).toEqual({
      detail: 'You are not allowed to create a Tweet with duplicate content.',
      type: 'about:blank',
      title: 'Forbidden',
      status: 403,
    });
    expect((await post('same words', BOB.token)).status).toBe(201);
    await advance(24 * 60 * 60_000);
    expect((await post('same words')).status).toBe(201);
    expect((await control('GET', 'posts')).posts).toHaveLength(3);
  });

  it('counts text as X does: 280 weighted characters, a URL 23, an emoji or a CJK character 2', async () => {
    expect(weightedLength('a'.repeat(280))).toBe(280);
    expect(weightedLength(`${'a'.repeat(10)} https://example.com/${'p'.repeat(200)}`)).toBe(10 + 1 + 23);
    expect(weightedLength('😀👍🏽🇫🇷')).toBe(6);
    expect(weightedLength('日本語')).toBe(6);
    expect(weightedLength('é')).toBe(1); // e + combining accent: one character once normalized

    expect((await post('a'.repeat(280))).status).toBe(201);
    const long = await post('b'.repeat(281));
    expect(long.status).toBe(400);
    expect(long.body).toEqual({ title: 'Bad Request', detail: 'Your Tweet text is too long.', type: 'about:blank', status: 400 });
    expect((await post(`${'c'.repeat(256)} https://example.com/${'x'.repeat(100)}`)).status).toBe(201);
    expect((await post(`${'d'.repeat(257)} https://example.com/${'x'.repeat(100)}`)).status).toBe(400);
    const empty = await api('POST', '/2/tweets', { json: {} });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ title: 'Invalid Request', type: 'https://api.twitter.com/2/problems/invalid-request' });
  });
});

describe('X simulator: metrics', () => {
  const metricsOf = async (id: string, token = ALICE.token) =>
    (await api('GET', `/2/tweets/${id}?tweet.fields=public_metrics,non_public_metrics`, { token })).body;

  it('grows public metrics with the post’s age, deterministically and never down', async () => {
    const id = (await post('watch me grow')).body.data.id as string;
    const fresh = await metricsOf(id);
    expect(fresh.data.public_metrics).toEqual({ retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0, bookmark_count: 0, impression_count: 0 });
    let previous = fresh.data.public_metrics as Record<string, number>;
    for (const step of [10 * 60_000, 60 * 60_000, 6 * 60 * 60_000, 48 * 60 * 60_000]) {
      await advance(step);
      const now = (await metricsOf(id)).data.public_metrics as Record<string, number>;
      for (const key of Object.keys(previous)) expect(now[key]).toBeGreaterThanOrEqual(previous[key]!);
      expect(now.impression_count).toBeGreaterThan(previous.impression_count!);
      previous = now;
    }
    expect(previous.like_count).toBeGreaterThan(0);
    // The same post at the same age has the same numbers in another simulator.
    const twin = new XSimulator({ accounts: [ALICE], now: () => START });
    expect(twin.posts.create(ALICE.id, { text: 'watch me grow' }).body).toMatchObject({ data: { id } });
    twin.advance(10 * 60_000 + 60 * 60_000 + 6 * 60 * 60_000 + 48 * 60 * 60_000);
    expect(twin.posts.lookup(ALICE.id, [id], new Set(['public_metrics']), true).body.data).toMatchObject({ public_metrics: previous });
  });

  it('gives non-public metrics to the author only, for 30 days', async () => {
    const id = (await post('private numbers')).body.data.id as string;
    await advance(60 * 60_000);
    const mine = await metricsOf(id);
    expect(mine.data.non_public_metrics).toEqual({
      impression_count: mine.data.public_metrics.impression_count,
      url_link_clicks: expect.any(Number),
      user_profile_clicks: expect.any(Number),
    });
    expect(mine.errors).toBeUndefined();
    const theirs = await metricsOf(id, BOB.token);
    expect(theirs.data.non_public_metrics).toBeUndefined();
    expect(theirs.errors).toEqual([expect.objectContaining({ title: 'Field Authorization Error', parameter: 'non_public_metrics', resource_id: id })]);
    await advance(30 * 24 * 60 * 60_000);
    expect((await metricsOf(id)).errors).toEqual([expect.objectContaining({ title: 'Field Authorization Error' })]);
  });
});

it('rejects listening on a port already taken', async () => {
  const second = new XSimulator();
  await expect(second.listen(Number(new URL(x.base()).port))).rejects.toMatchObject({ code: 'EADDRINUSE' });
  await second.close();
});
