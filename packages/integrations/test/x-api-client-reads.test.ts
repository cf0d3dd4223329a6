import { XSimulator } from '@conveyor/sim';
import { ALICE, BOB, START, callAccount, withXSim } from './x-test-kit';

const x = withXSim(new XSimulator({ accounts: [ALICE, BOB], now: () => START }));
beforeAll(x.start);
afterAll(x.close);
beforeEach(x.reset);
const alice = callAccount(ALICE);
const bob = callAccount(BOB);
const HOUR = 60 * 60_000;
const paths = () => x.sim.requests.map((r) => `${r.method} ${r.path}`);

/** Alice posts `texts`, one a minute from now on. */
async function postEveryMinute(texts: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const text of texts) {
    ids.push((await x.client().createPost(alice, { text })).id);
    x.sim.advance(60_000);
  }
  return ids;
}

describe('XApiClient.recentPosts', () => {
  it('lists the account’s posts at or after `since`, newest first, asking X who the token is only once', async () => {
    const ids = await postEveryMinute(['first', 'second', 'third']);
    await x.client().createPost(bob, { text: 'not alice' });
    x.sim.requests.length = 0;
    x.limiter.acquired.length = 0;
    const client = x.client();
    const since = new Date(START + 60_000);
    expect(await client.recentPosts(alice, since)).toEqual([
      { id: ids[2], text: 'third', created_at: new Date(START + 120_000).toISOString() },
      { id: ids[1], text: 'second', created_at: new Date(START + 60_000).toISOString() },
    ]);
    await client.recentPosts(alice, since);
    expect(paths()).toEqual(['GET /2/users/me', `GET /2/users/${ALICE.id}/tweets`, `GET /2/users/${ALICE.id}/tweets`]);
    expect(x.limiter.acquired.map((a) => a.endpoint)).toEqual(['GET /2/users/me', 'GET /2/users/:id/tweets', 'GET /2/users/:id/tweets']);
  });

  it('pages on while every post of a page is recent enough, and stops at the first older one', async () => {
    const texts = Array.from({ length: 130 }, (_, i) => `post ${i}`);
    const ids = await postEveryMinute(texts);
    x.sim.requests.length = 0;
    const all = await x.client().recentPosts(alice, new Date(START));
    expect(all.map((p) => p.id)).toEqual([...ids].reverse());
    expect(paths().filter((p) => p.endsWith('/tweets'))).toHaveLength(2);

    x.sim.requests.length = 0;
    const recent = await x.client().recentPosts(alice, new Date(START + 100 * 60_000));
    expect(recent).toHaveLength(30);
    expect(paths().filter((p) => p.endsWith('/tweets'))).toHaveLength(1);
  });

  it('finds nothing for an account without posts', async () => {
    await expect(x.client().recentPosts(bob, new Date(START - HOUR))).resolves.toEqual([]);
  });
});

describe('XApiClient.postMetrics', () => {
  it('maps public metrics, and impressions from non_public_metrics for the author', async () => {
    const [id] = await postEveryMinute(['measured']);
    x.sim.advance(6 * HOUR);
    const [withImpressions] = await x.client().postMetrics(alice, [id!], true);
    const [publicOnly] = await x.client().postMetrics(alice, [id!], false);
    const seen = withImpressions!.impressions!;
    expect(seen).toBeGreaterThan(0);
    // The simulator's curve: every count is a fixed share of the impressions.
    expect(withImpressions).toEqual({
      id,
      likes: Math.floor(seen * 0.03),
      reposts: Math.floor(seen * 0.005),
      replies: Math.floor(seen * 0.004),
      quotes: Math.floor(seen * 0.001),
      bookmarks: Math.floor(seen * 0.003),
      impressions: seen,
    });
    expect(publicOnly).toEqual({ ...withImpressions, impressions: null });
  });

  it('gives a non-author the public counts with impressions null instead of failing', async () => {
    const [id] = await postEveryMinute(['someone else’s']);
    x.sim.advance(HOUR);
    x.sim.requests.length = 0;
    const [metrics] = await x.client().postMetrics(bob, [id!], true);
    expect(metrics).toMatchObject({ id, impressions: null });
    expect(metrics!.likes).toBeGreaterThan(0);
    // The simulator sends the post with its public counts beside the Field Authorization Error: no second lookup needed.
    expect(paths()).toEqual(['GET /2/tweets']);
  });

  it('looks up again without non_public_metrics when X withholds the whole post for them', async () => {
    // X (unlike the simulator) may leave a post it refuses a field for out of `data`; this fetch
    // passes the simulator's answer on with such posts removed, as X sends it.
    const withholding: typeof fetch = async (input, init) => {
      const answer = await fetch(input, init);
      const body = (await answer.json()) as { data?: { id: string }[]; errors?: { resource_id?: string; title?: string }[] };
      const refused = new Set((body.errors ?? []).filter((e) => e.title === 'Field Authorization Error').map((e) => e.resource_id));
      if (Array.isArray(body.data)) body.data = body.data.filter((p) => !refused.has(p.id));
      const headers = new Headers(answer.headers);
      headers.delete('content-length');
      return new Response(JSON.stringify(body), { status: answer.status, headers });
    };
    const [own] = await postEveryMinute(['mine']);
    const theirs = (await x.client().createPost(bob, { text: 'bob’s' })).id;
    x.sim.advance(HOUR);
    x.sim.requests.length = 0;
    const metrics = await x.client({ fetch: withholding }).postMetrics(alice, [own!, theirs, '999'], true);
    expect(metrics.map((m) => [m.id, m.impressions === null])).toEqual([
      [own, false],
      [theirs, true],
    ]);
    expect(metrics[1]!.likes).toBeGreaterThan(0);
    expect(paths()).toEqual(['GET /2/tweets', 'GET /2/tweets']);
  });

  it('leaves out posts X does not have and ids that are not X ids, without asking X about the latter', async () => {
    const [id] = await postEveryMinute(['here']);
    x.sim.requests.length = 0;
    const metrics = await x.client().postMetrics(alice, ['1', id!, 'dryrun-1234'], false);
    expect(metrics.map((m) => m.id)).toEqual([id]);
    await expect(x.client().postMetrics(alice, ['dryrun-1234'], true)).resolves.toEqual([]);
    expect(paths()).toEqual(['GET /2/tweets']);
  });
});
