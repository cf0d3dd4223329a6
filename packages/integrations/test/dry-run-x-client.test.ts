import { XSimulator } from '@conveyor/sim';
import { DryRunXClient, createXClient, isDryRunId, XApiClient } from '../src';
import { ALICE, START, callAccount, capturedLogger, withXSim, BOB } from './x-test-kit';

const x = withXSim(new XSimulator({ accounts: [ALICE, BOB], now: () => START }));
beforeAll(x.start);
afterAll(x.close);
beforeEach(x.reset);
const alice = callAccount(ALICE);

describe('DryRunXClient', () => {
  it('sends nothing to X and answers with marked ids, no timeline and zero metrics', async () => {
    const { logger, lines } = capturedLogger();
    const client = createXClient({ dryRun: true, baseUrl: x.baseUrl(), logger });
    expect(client).toBeInstanceOf(DryRunXClient);
    expect(client.dryRun).toBe(true);

    const { mediaId } = await client.uploadMedia(alice, { bytes: Buffer.alloc(10), mimeType: 'image/png', category: 'tweet_image' });
    const post = await client.createPost(alice, { text: 'a private thought', mediaIds: [mediaId] });
    expect(post).toEqual({ id: expect.stringMatching(/^dryrun-\d{19}$/), text: 'a private thought' });
    expect(mediaId).toMatch(/^dryrun-media-\d{19}$/);
    expect([isDryRunId(post.id), isDryRunId(mediaId), isDryRunId('1900000000000000001')]).toEqual([true, true, false]);
    expect((await client.createPost(alice, { text: 'again' })).id).not.toBe(post.id);
    await expect(client.recentPosts(alice, new Date(START))).resolves.toEqual([]);
    await expect(client.postMetrics(alice, [post.id], true)).resolves.toEqual([
      { id: post.id, likes: 0, reposts: 0, replies: 0, quotes: 0, bookmarks: 0, impressions: null },
    ]);

    expect(x.sim.requests).toEqual([]);
    expect(x.sim.posts.all).toEqual([]);
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toEqual([
      expect.objectContaining({ level: 'info', message: 'x dry run: media not uploaded to X', media_id: mediaId }),
      expect.objectContaining({ level: 'info', message: 'x dry run: post not sent to X', x_post_id: post.id, text_length: 17, media_count: 1 }),
      expect.objectContaining({ level: 'info', message: 'x dry run: post not sent to X', text_length: 5 }),
    ]);
    expect(lines.join('\n')).not.toContain('a private thought');
    expect(lines.join('\n')).not.toContain(ALICE.token);
  });

  it('honours an aborted signal like the real client', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled');
    controller.abort(reason);
    await expect(new DryRunXClient().createPost(alice, { text: 'no' }, { signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('createXClient', () => {
  it('makes the HTTP client when not in dry run, calling the given base URL', async () => {
    const client = createXClient({ dryRun: false, baseUrl: x.baseUrl(), registry: x.registry });
    expect(client).toBeInstanceOf(XApiClient);
    expect(client.dryRun).toBe(false);
    await client.createPost(alice, { text: 'for real' });
    expect(x.sim.posts.all.map((p) => p.text)).toEqual(['for real']);
  });
});
