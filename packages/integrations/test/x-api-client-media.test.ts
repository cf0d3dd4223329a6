import { XSimulator } from '@conveyor/sim';
import { ALICE, BOB, callAccount, rejectionOf, withXSim, START } from './x-test-kit';

const x = withXSim(new XSimulator({ accounts: [ALICE, BOB], now: () => START, mediaProcessingMs: 5000 }));
beforeAll(x.start);
afterAll(x.close);
beforeEach(x.reset);
const alice = callAccount(ALICE);
const endpoints = () => x.sim.requests.map((r) => `${r.method} ${r.path.replace(/\d{6,}/, ':id')} ${r.status}`);

describe('XApiClient.uploadMedia against the X simulator', () => {
  it('uploads an image in one multipart request, ready to go on a post', async () => {
    const client = x.client();
    const { mediaId } = await client.uploadMedia(alice, { bytes: Buffer.alloc(2048, 9), mimeType: 'image/png', category: 'tweet_image' });
    expect(mediaId).toMatch(/^\d+$/);
    expect(endpoints()).toEqual(['POST /2/media/upload 200']);
    expect(x.limiter.acquired.map((a) => a.endpoint)).toEqual(['POST /2/media/upload']);
    const post = await client.createPost(alice, { text: 'a picture', mediaIds: [mediaId] });
    expect(x.sim.posts.all).toEqual([expect.objectContaining({ id: post.id, media_ids: [mediaId], media_keys: [`3_${mediaId}`] })]);
  });

  it('uploads a video in chunks, waits while X processes it as X asks, and the post may carry it', async () => {
    const video = Buffer.alloc(2500, 7);
    const slept: number[] = [];
    const client = x.client({
      chunkBytes: 1000,
      sleep: async (ms) => {
        slept.push(ms);
        x.sim.advance(ms);
      },
    });
    const { mediaId } = await client.uploadMedia(alice, { bytes: video, mimeType: 'video/mp4', category: 'tweet_video' });
    expect(endpoints()).toEqual([
      'POST /2/media/upload/initialize 200',
      'POST /2/media/upload/:id/append 200',
      'POST /2/media/upload/:id/append 200',
      'POST /2/media/upload/:id/append 200',
      'POST /2/media/upload/:id/finalize 200',
      'GET /2/media/upload 200',
    ]);
    // FINALIZE said pending, check after 5 s; the STATUS after that said succeeded.
    expect(slept).toEqual([5000]);
    expect(x.limiter.acquired.map((a) => a.endpoint)).toEqual([
      'POST /2/media/upload',
      'POST /2/media/upload/:id/append',
      'POST /2/media/upload/:id/append',
      'POST /2/media/upload/:id/append',
      'POST /2/media/upload/:id/finalize',
      'GET /2/media/upload',
    ]);
    expect(x.limiter.observed).toHaveLength(6);
    await expect(client.createPost(alice, { text: 'a video', mediaIds: [mediaId] })).resolves.toMatchObject({ text: 'a video' });
    expect(x.sim.posts.all[0]!.media_keys).toEqual([`7_${mediaId}`]);
  });

  it('polls as often as X says while processing goes on', async () => {
    const slept: number[] = [];
    const client = x.client({
      sleep: async (ms) => {
        slept.push(ms);
        // Half of what X asked: the next STATUS finds it still in progress.
        x.sim.advance(ms / 2);
      },
    });
    await client.uploadMedia(alice, { bytes: Buffer.alloc(300, 1), mimeType: 'image/gif', category: 'tweet_gif' });
    expect(slept).toEqual([5000, 3000, 1000, 1000]);
    expect(endpoints().filter((e) => e.startsWith('GET'))).toHaveLength(4);
  });

  it('gives up as transient when processing takes longer than allowed', async () => {
    const client = x.client({ maxMediaProcessingMs: 3000 });
    const error = await rejectionOf(client.uploadMedia(alice, { bytes: Buffer.alloc(100, 1), mimeType: 'video/mp4', category: 'tweet_video' }));
    expect(error).toMatchObject({ kind: 'transient', endpoint: 'GET /2/media/upload' });
    expect(error.message).toMatch(/still processing media \d+/);
  });

  it('stops waiting when the caller aborts, with the caller’s reason', async () => {
    const controller = new AbortController();
    const reason = new Error('soft time limit');
    const client = x.client({
      sleep: async () => {
        controller.abort(reason);
        throw new Error('the timer was cancelled');
      },
    });
    const error = await rejectionOf(
      client.uploadMedia(alice, { bytes: Buffer.alloc(100), mimeType: 'video/mp4', category: 'tweet_video' }, { signal: controller.signal }),
    );
    expect(error).toBe(reason);
    expect(endpoints().some((e) => e.startsWith('GET'))).toBe(false);
  });

  it('sleeps on a real timer by default, which the caller’s signal cuts short', async () => {
    const controller = new AbortController();
    const reason = new Error('revoked');
    const client = x.client({ sleep: undefined });
    const upload = client.uploadMedia(alice, { bytes: Buffer.alloc(100), mimeType: 'video/mp4', category: 'tweet_video' }, { signal: controller.signal });
    while (!x.sim.requests.some((r) => r.path.endsWith('/finalize') && r.status === 200)) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(reason);
    expect(await rejectionOf(upload)).toBe(reason);
  });

  it('refuses an empty file before calling X; X’s refusal of another user’s media is permanent', async () => {
    await expect(x.client().uploadMedia(alice, { bytes: Buffer.alloc(0), mimeType: 'image/png', category: 'tweet_image' })).rejects.toMatchObject({
      kind: 'permanent',
    });
    expect(x.sim.requests).toEqual([]);
    // Media of someone else cannot be attached.
    const { mediaId } = await x.client().uploadMedia(alice, { bytes: Buffer.alloc(10, 1), mimeType: 'image/png', category: 'tweet_image' });
    await expect(x.client().createPost(callAccount(BOB), { text: 'not mine', mediaIds: [mediaId] })).rejects.toMatchObject({ kind: 'permanent', status: 400 });
  });

  it('reports a 5xx in the middle of a chunked upload as transient', async () => {
    x.sim.addFault({ endpoint: 'POST /2/media/upload/:id/append', status: 502, times: 1 });
    await expect(x.client().uploadMedia(alice, { bytes: Buffer.alloc(100), mimeType: 'video/mp4', category: 'tweet_video' })).rejects.toMatchObject({
      kind: 'transient',
      status: 502,
      endpoint: 'POST /2/media/upload/:id/append',
    });
  });
});
