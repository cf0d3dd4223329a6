import { XSimulator } from '@conveyor/sim';
import { XApiError } from '../src';
import { ALICE, BOB, START, callAccount, closedPort, rejectionOf, withXSim } from './x-test-kit';

const x = withXSim(new XSimulator({ accounts: [ALICE, BOB], now: () => START, rateLimits: { basic: { 'POST /2/tweets': { limit: 2, windowMs: 60_000 } } } }));
beforeAll(x.start);
afterAll(x.close);
beforeEach(x.reset);
const alice = callAccount(ALICE);
const bob = callAccount(BOB);

describe('XApiClient.createPost against the X simulator', () => {
  it('creates a post with the bearer token, consults the limiter before and tells it the headers after', async () => {
    const created = await x.client().createPost(alice, { text: 'hello from conveyor' });
    expect(created).toEqual({ id: expect.stringMatching(/^\d+$/), text: 'hello from conveyor' });
    expect(x.sim.posts.all).toEqual([expect.objectContaining({ id: created.id, text: 'hello from conveyor', author_id: ALICE.id })]);
    expect(x.limiter.acquired).toEqual([{ accountId: 'acc-alice', tier: 'pro', endpoint: 'POST /2/tweets' }]);
    // Pro: 100 posts per 15 minutes, the window opened by this request.
    expect(x.limiter.observed).toEqual([
      {
        accountId: 'acc-alice',
        endpoint: 'POST /2/tweets',
        headers: { limit: 100, remaining: 99, resetEpochSec: Math.ceil((START + 15 * 60_000) / 1000) },
        status: 201,
      },
    ]);
  });

  it('refuses text over 280 weighted characters as permanent, with X’s own words, and tells the limiter', async () => {
    const error = await rejectionOf(x.client().createPost(alice, { text: 'a'.repeat(281) }));
    expect(error).toBeInstanceOf(XApiError);
    expect(error).toMatchObject({ kind: 'permanent', status: 400, endpoint: 'POST /2/tweets' });
    expect(error.message).toContain('Your Tweet text is too long.');
    expect(x.limiter.observed.map((o) => o.status)).toEqual([400]);
    expect(x.sim.posts.all).toEqual([]);
  });

  it('names a bad parameter in a permanent error (media ids X does not know)', async () => {
    const error = await rejectionOf(x.client().createPost(alice, { text: 'with media', mediaIds: ['12345'] }));
    expect(error).toMatchObject({ kind: 'permanent', status: 400 });
    expect(error.message).toContain('Your media IDs are invalid.');
  });

  it('reports the same text again as duplicate', async () => {
    await x.client().createPost(alice, { text: 'only once' });
    const error = await rejectionOf(x.client().createPost(alice, { text: 'only once' }));
    expect(error).toMatchObject({ kind: 'duplicate', status: 403 });
    expect(x.sim.posts.all).toHaveLength(1);
  });

  it('reports an unknown token as auth, without observing (a 401 has no rate-limit headers)', async () => {
    const error = await rejectionOf(x.client().createPost({ ...alice, token: 'revoked-token-abcdef' }, { text: 'hi' }));
    expect(error).toMatchObject({ kind: 'auth', status: 401 });
    expect(x.limiter.acquired).toHaveLength(1);
    expect(x.limiter.observed).toEqual([]);
  });

  it('reports an injected 503 as transient', async () => {
    x.sim.addFault({ endpoint: 'POST /2/tweets', status: 503, times: 1 });
    const error = await rejectionOf(x.client().createPost(alice, { text: 'try again' }));
    expect(error).toMatchObject({ kind: 'transient', status: 503 });
    expect(x.sim.posts.all).toEqual([]);
    await expect(x.client().createPost(alice, { text: 'try again' })).resolves.toMatchObject({ text: 'try again' });
  });

  it('reports an injected 429 as rate_limited until the reset X announced', async () => {
    x.sim.addFault({ endpoint: 'POST /2/tweets', status: 429, times: 1 });
    const error = await rejectionOf(x.client().createPost(alice, { text: 'too soon' }));
    const reset = Math.ceil((START + 15 * 60_000) / 1000);
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAtMs: reset * 1000 });
    expect(x.limiter.observed).toEqual([expect.objectContaining({ status: 429, headers: { limit: 100, remaining: 0, resetEpochSec: reset } })]);
  });

  it('reports a spent window (the simulator’s own limit) as rate_limited at its reset', async () => {
    await x.client().createPost(bob, { text: 'one' });
    await x.client().createPost(bob, { text: 'two' });
    const error = await rejectionOf(x.client().createPost(bob, { text: 'three' }));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAtMs: Math.ceil((START + 60_000) / 1000) * 1000 });
  });

  it('falls back to a minute from now when a 429 carries no reset header', async () => {
    const noHeaders: typeof fetch = async (input, init) => {
      const answer = await fetch(input, init);
      return new Response(await answer.text(), { status: answer.status });
    };
    x.sim.addFault({ endpoint: 'POST /2/tweets', status: 429, times: 1 });
    const error = await rejectionOf(x.client({ fetch: noHeaders, now: () => START }).createPost(alice, { text: 'later' }));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAtMs: START + 60_000 });
  });

  it('keeps X’s answer when the limiter cannot record it (Redis away), and says so in a warning', async () => {
    x.limiter.observeFailure = new Error('redis unreachable');
    await expect(x.client().createPost(alice, { text: 'posted anyway' })).resolves.toMatchObject({ text: 'posted anyway' });
    expect(x.lines.some((line) => line.includes('x rate limiter could not record an answer') && line.includes('redis unreachable'))).toBe(true);
  });

  it('does not call X when the limiter refuses', async () => {
    x.limiter.refuse = (endpoint) => new XApiError('budget spent', 'rate_limited', endpoint, 0, START + 5000);
    await expect(x.client().createPost(alice, { text: 'held back' })).rejects.toMatchObject({ kind: 'rate_limited', retryAtMs: START + 5000 });
    expect(x.sim.requests).toEqual([]);
  });

  it('reports a connection dropped after X created the post as unknown_outcome, and the post is there to be found', async () => {
    x.sim.addFault({ endpoint: 'POST /2/tweets', drop: 'after-accept', times: 1 });
    const error = await rejectionOf(x.client().createPost(alice, { text: 'did it go out?' }));
    expect(error).toMatchObject({ kind: 'unknown_outcome', status: 0, endpoint: 'POST /2/tweets' });
    expect(x.sim.posts.all.map((p) => p.text)).toEqual(['did it go out?']);
    const found = await x.client().recentPosts(alice, new Date(START - 60_000));
    expect(found).toEqual([{ id: x.sim.posts.all[0]!.id, text: 'did it go out?', created_at: new Date(START).toISOString() }]);
  });

  it('reports a create that X carried out but never answered in time as unknown_outcome, and the post is there', async () => {
    x.sim.addFault({ endpoint: 'POST /2/tweets', stallAfterAcceptMs: 20_000, times: 1 });
    // The client's 300 ms run out only once X has the post: on a busy machine they could run out
    // before the request even left, and then X would rightly have nothing.
    const acceptedFirst: typeof fetch = (input, init) => {
      const gate = new AbortController();
      init?.signal?.addEventListener('abort', () => {
        const check = () => (x.sim.posts.all.length > 0 ? gate.abort(init.signal!.reason) : setTimeout(check, 10));
        check();
      });
      return fetch(input, { ...init, signal: gate.signal });
    };
    const error = await rejectionOf(x.client({ timeoutMs: 300, fetch: acceptedFirst }).createPost(alice, { text: 'slow' }));
    expect(error).toMatchObject({ kind: 'unknown_outcome', status: 0, endpoint: 'POST /2/tweets' });
    expect(error.message).toContain('no answer within 300 ms');
    expect(x.sim.posts.all.map((p) => p.text)).toEqual(['slow']);
  });

  it('reports a timeout of a read as transient', async () => {
    x.sim.addFault({ delayMs: 20_000 });
    await expect(x.client({ timeoutMs: 300 }).postMetrics(alice, ['1'], false)).rejects.toMatchObject({
      kind: 'transient',
      status: 0,
      endpoint: 'GET /2/tweets',
    });
  });

  it('reports a dropped read as transient', async () => {
    x.sim.addFault({ endpoint: 'GET /2/users/me', drop: 'before-accept', times: 1 });
    await expect(x.client().recentPosts(alice, new Date(START))).rejects.toMatchObject({ kind: 'transient', endpoint: 'GET /2/users/me' });
  });

  it('reports a refused connection as transient even for a create: nothing was sent', async () => {
    const error = await rejectionOf(x.client({ baseUrl: `http://127.0.0.1:${await closedPort()}` }).createPost(alice, { text: 'nowhere' }));
    expect(error).toMatchObject({ kind: 'transient', status: 0 });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('passes the caller’s abort on as itself, not as an unknown outcome', async () => {
    x.sim.addFault({ endpoint: 'POST /2/tweets', delayMs: 20_000 });
    const controller = new AbortController();
    const call = x.client().createPost(alice, { text: 'cancelled' }, { signal: controller.signal });
    while (x.sim.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const reason = new Error('task revoked');
    controller.abort(reason);
    expect(await rejectionOf(call)).toBe(reason);
    // An already aborted signal makes no call at all.
    x.sim.requests.length = 0;
    await expect(x.client().createPost(alice, { text: 'never' }, { signal: controller.signal })).rejects.toBe(reason);
    expect(x.sim.requests).toEqual([]);
  });

  it('counts calls by endpoint and status, with no account in the labels', async () => {
    await x.client().createPost(alice, { text: 'counted' });
    await rejectionOf(x.client().createPost(alice, { text: 'counted' }));
    const text = await x.registry.metrics();
    expect(text).toMatch(/conveyor_x_api_requests_total\{endpoint="POST \/2\/tweets",status="201"\} 1/);
    expect(text).toMatch(/conveyor_x_api_requests_total\{endpoint="POST \/2\/tweets",status="403"\} 1/);
    expect(text).toMatch(/conveyor_x_api_request_duration_seconds_count\{endpoint="POST \/2\/tweets"\} 2/);
    expect(text).not.toMatch(/acc-alice|alice/);
  });
});
