import { X_RATE_LIMITS } from '@conveyor/contracts';
import { ALICE, BOB, START, startX } from './x-sim-client';

// Bob is on the free tier; his POST /2/tweets window is shortened to 2 posts a minute here.
const x = startX({ rateLimits: { free: { 'POST /2/tweets': { limit: 2, windowMs: 60_000 } } }, random: () => draws.shift() ?? 0 });
const draws: number[] = [];
const { api, post, control, advance } = x;
beforeAll(x.start);
afterAll(() => x.sim.close());
beforeEach(() => control('POST', 'reset'));
const until = async (done: () => Promise<boolean>) => {
  for (let waited = 0; !(await done()) && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
};

describe('X simulator: rate limits', () => {
  it('has a limit per tier and endpoint, as X publishes them', () => {
    expect(X_RATE_LIMITS.free['POST /2/tweets']).toEqual({ limit: 17, windowMs: 24 * 60 * 60_000 });
    expect(X_RATE_LIMITS.basic['POST /2/tweets']).toEqual({ limit: 100, windowMs: 24 * 60 * 60_000 });
    expect(X_RATE_LIMITS.pro['POST /2/tweets']).toEqual({ limit: 100, windowMs: 15 * 60_000 });
  });

  it('sends the x-rate-limit headers on every answer, refuses with 429 past the limit, and recovers when the window ends', async () => {
    const reset = String(Math.ceil((START + 60_000) / 1000));
    const first = await post('one', BOB.token);
    expect([
      first.status,
      first.headers.get('x-rate-limit-limit'),
      first.headers.get('x-rate-limit-remaining'),
      first.headers.get('x-rate-limit-reset'),
    ]).toEqual([201, '2', '1', reset]);
    // A refused post counts too, as on X.
    const duplicate = await post('one', BOB.token);
    expect([duplicate.status, duplicate.headers.get('x-rate-limit-remaining')]).toEqual([403, '0']);
    const limited = await post('three', BOB.token);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 });
    expect([limited.headers.get('x-rate-limit-limit'), limited.headers.get('x-rate-limit-remaining'), limited.headers.get('x-rate-limit-reset')]).toEqual([
      '2',
      '0',
      reset,
    ]);
    // Per user and per endpoint: Alice posts, Bob still reads.
    expect((await post('three')).status).toBe(201);
    expect((await api('GET', '/2/users/me', { token: BOB.token })).headers.get('x-rate-limit-limit')).toBe('25');

    await advance(59_999);
    expect((await post('four', BOB.token)).status).toBe(429);
    await advance(1);
    const after = await post('four', BOB.token);
    expect([after.status, after.headers.get('x-rate-limit-remaining'), after.headers.get('x-rate-limit-reset')]).toEqual([
      201,
      '1',
      String(Math.ceil((START + 120_000) / 1000)),
    ]);
    expect((await control('GET', 'posts')).posts.map((p: { text: string }) => p.text)).toEqual(['one', 'three', 'four']);
  });

  it('takes new limits through the control API', async () => {
    await control('POST', 'rate-limits', { tier: 'pro', endpoint: 'GET /2/users/me', limit: 1 });
    expect((await api('GET', '/2/users/me')).status).toBe(200);
    const refused = await api('GET', '/2/users/me');
    expect([refused.status, refused.headers.get('x-rate-limit-limit')]).toEqual([429, '1']);
    expect(await control('POST', 'rate-limits', { tier: 'gold', endpoint: 'GET /2/users/me', limit: 1 })).toEqual({ error: expect.stringContaining('gold') });
  });
});

describe('X simulator: faults', () => {
  it('answers 5xx and 429 faults the given number of times, then normally', async () => {
    await control('POST', 'faults', { endpoint: 'POST /2/tweets', status: 503, times: 2 });
    await control('POST', 'faults', { endpoint: 'GET /2/tweets', status: 500, times: 1 });
    const broken = await api('GET', '/2/tweets?ids=1');
    expect(broken.body).toEqual({ title: 'Internal Server Error', detail: 'Internal Server Error', type: 'about:blank', status: 500 });
    expect(broken.headers.get('x-rate-limit-limit')).toBe('900');
    for (const text of ['a', 'b']) {
      const res = await post(text);
      expect([res.status, res.body.title]).toEqual([503, 'Service Unavailable']);
    }
    expect((await post('c')).status).toBe(201);
    await control('POST', 'faults', { status: 429, times: 1 });
    const limited = await api('GET', '/2/users/me');
    expect([limited.status, limited.headers.get('x-rate-limit-remaining')]).toEqual([429, '0']);
    expect((await api('GET', '/2/users/me')).status).toBe(200);
    expect((await control('GET', 'posts')).posts.map((p: { text: string }) => p.text)).toEqual(['c']);
  });

  it('applies a fault with a probability by its draw, a spared request not using it up', async () => {
    draws.push(0.7, 0.2);
    await control('POST', 'faults', { endpoint: 'GET /2/users/me', status: 500, probability: 0.5, times: 1 });
    expect((await api('GET', '/2/users/me')).status).toBe(200);
    expect((await api('GET', '/2/users/me')).status).toBe(500);
    expect((await api('GET', '/2/users/me')).status).toBe(200);
  });

  it('accept-then-drop: stores the post, then closes the connection without an answer', async () => {
    await control('POST', 'faults', { endpoint: 'POST /2/tweets', drop: 'after-accept', times: 1 });
    const lost = await post('did it go out?').catch((e: Error) => e);
    expect(lost).toMatchObject({ name: 'TypeError', message: 'fetch failed' }); // the socket closed before any response
    const { posts } = await control('GET', 'posts');
    expect(posts).toEqual([expect.objectContaining({ text: 'did it go out?', author_id: ALICE.id, deleted: false })]);
    expect((await control('GET', 'requests')).requests).toEqual([expect.objectContaining({ endpoint: 'POST /2/tweets', status: 0 })]);
    // A retry of the same text is a duplicate; the timeline shows the post the client never heard of.
    expect((await post('did it go out?')).status).toBe(403);
    expect((await api('GET', `/2/users/${ALICE.id}/tweets`)).body.data).toEqual([expect.objectContaining({ id: posts[0].id })]);
  });

  it('accept-then-stall: stores the post and holds the connection unanswered until the client goes away', async () => {
    await control('POST', 'faults', { endpoint: 'POST /2/tweets', stallAfterAcceptMs: 60_000, drop: 'after-accept', times: 1 });
    const client = new AbortController();
    const pending = fetch(`${x.base()}/2/tweets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'held' }),
      signal: client.signal,
    }).catch((e: Error) => e);
    // Stored while the client still waits for its answer.
    while ((await control('GET', 'posts')).posts.length === 0) await new Promise((r) => setTimeout(r, 10));
    client.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    expect((await control('GET', 'posts')).posts).toEqual([expect.objectContaining({ text: 'held' })]);
  });

  it('drop before accept: closes the connection and stores nothing', async () => {
    await control('POST', 'faults', { drop: 'before-accept', times: 1 });
    expect(await post('never stored').catch((e: Error) => e)).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect((await control('GET', 'posts')).posts).toEqual([]);
    expect((await post('never stored')).status).toBe(201);
  });

  it('a slow answer: the client gives up, the post is stored anyway', async () => {
    await control('POST', 'faults', { endpoint: 'POST /2/tweets', delayMs: 60_000, times: 1 });
    const client = new AbortController();
    const pending = fetch(`${x.base()}/2/tweets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'slow' }),
      signal: client.signal,
    }).catch((e: Error) => e);
    // The answer is a minute away: the request waits unanswered (a bounded wait, not a race).
    await until(async () => (await control('GET', 'requests')).requests.length === 1);
    expect((await control('GET', 'posts')).posts).toEqual([]);
    client.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    await until(async () => (await control('GET', 'posts')).posts.length === 1);
    expect((await control('GET', 'posts')).posts).toEqual([expect.objectContaining({ text: 'slow' })]);
  });
});
