import { ALICE, BOB, startX } from './x-sim-client';

const x = startX({ mediaProcessingMs: 2000 });
const { api, control, advance } = x;
beforeAll(x.start);
afterAll(() => x.sim.close());
beforeEach(() => control('POST', 'reset'));

const form = (fields: Record<string, string>, media?: Buffer) => {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  if (media) body.append('media', new Blob([media]), 'chunk.bin');
  return body;
};
const postWith = (mediaIds: string[], text = 'with media', token = ALICE.token) =>
  api('POST', '/2/tweets', { token, json: { text, media: { media_ids: mediaIds } } });

describe('X simulator: media upload', () => {
  it('simple upload of an image (multipart, or JSON with base64), ready at once to attach to a post', async () => {
    const image = await api('POST', '/2/media/upload', { form: form({ media_category: 'tweet_image', media_type: 'image/png' }, Buffer.alloc(64, 1)) });
    expect(image.status).toBe(200);
    const id = image.body.data.id as string;
    expect(image.body.data).toEqual({ id, media_key: `3_${id}`, size: 64, expires_after_secs: 86400 });
    const json = await api('POST', '/2/media/upload', {
      json: { media: Buffer.alloc(10, 2).toString('base64'), media_category: 'tweet_image', media_type: 'image/jpeg' },
    });
    expect(json.body.data.size).toBe(10);

    const created = await postWith([id, json.body.data.id as string]);
    expect(created.status).toBe(201);
    const looked = await api('GET', `/2/tweets/${created.body.data.id}?tweet.fields=attachments`);
    expect(looked.body.data.attachments).toEqual({ media_keys: [`3_${id}`, `3_${json.body.data.id}`] });
    expect((await control('GET', 'posts')).posts[0].media_ids).toEqual([id, json.body.data.id]);
  });

  it('refuses unknown media, someone else’s media, and an upload without a file', async () => {
    const id = (await api('POST', '/2/media/upload', { form: form({ media_type: 'image/png' }, Buffer.alloc(8)) })).body.data.id as string;
    const unknown = await postWith(['12345']);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ message: 'Your media IDs are invalid.' })]);
    expect((await postWith([id], 'not yours', BOB.token)).status).toBe(400);
    expect((await api('POST', '/2/media/upload', { form: form({ media_type: 'image/png' }) })).status).toBe(400);
    expect((await control('GET', 'posts')).posts).toEqual([]);
  });

  it('chunked video: initialize, append, finalize, then status until processed; a post may carry it only then', async () => {
    const video = Buffer.alloc(3000, 7);
    const init = await api('POST', '/2/media/upload/initialize', {
      json: { media_type: 'video/mp4', total_bytes: video.length, media_category: 'tweet_video' },
    });
    expect(init.status).toBe(200);
    const id = init.body.data.id as string;
    expect(init.body.data).toEqual({ id, media_key: `7_${id}`, expires_after_secs: 86400 });
    for (const [i, chunk] of [video.subarray(0, 2000), video.subarray(2000)].entries()) {
      const appended = await api('POST', `/2/media/upload/${id}/append`, { form: form({ segment_index: String(i) }, chunk) });
      expect(appended.status).toBe(200);
    }
    const finalized = await api('POST', `/2/media/upload/${id}/finalize`);
    expect(finalized.body.data).toEqual({
      id,
      media_key: `7_${id}`,
      size: 3000,
      expires_after_secs: 86400,
      processing_info: { state: 'pending', check_after_secs: 2 },
    });
    expect((await postWith([id])).status).toBe(400);

    await advance(1000);
    const status = await api('GET', `/2/media/upload?command=STATUS&media_id=${id}`);
    expect(status.body.data.processing_info).toEqual({ state: 'in_progress', check_after_secs: 1, progress_percent: 50 });
    await advance(1000);
    expect((await api('GET', `/2/media/upload?command=STATUS&media_id=${id}`)).body.data.processing_info).toEqual({
      state: 'succeeded',
      progress_percent: 100,
    });
    expect((await postWith([id])).status).toBe(201);
  });

  it('the command= form of the same flow, and a finalize whose chunks do not add up', async () => {
    const init = await api('POST', '/2/media/upload', {
      form: form({ command: 'INIT', media_type: 'video/mp4', total_bytes: '100', media_category: 'amplify_video' }),
    });
    const id = init.body.data.id as string;
    expect(init.body.data.media_key).toBe(`13_${id}`);
    expect((await api('POST', '/2/media/upload', { form: form({ command: 'APPEND', media_id: id, segment_index: '0' }, Buffer.alloc(60)) })).status).toBe(200);
    const short = await api('POST', '/2/media/upload', { form: form({ command: 'FINALIZE', media_id: id }) });
    expect(short.status).toBe(400);
    expect(short.body.errors[0].message).toContain('Segments do not add up to provided total file size');
    expect((await api('POST', '/2/media/upload', { form: form({ command: 'APPEND', media_id: id, segment_index: '1' }, Buffer.alloc(40)) })).status).toBe(200);
    expect((await api('POST', '/2/media/upload', { form: form({ command: 'FINALIZE', media_id: id }) })).body.data).toMatchObject({ id, size: 100 });
    const requests = (await control('GET', 'requests')).requests.map((r: { endpoint: string }) => r.endpoint);
    expect(requests).toEqual([
      'POST /2/media/upload',
      'POST /2/media/upload/:id/append',
      'POST /2/media/upload/:id/finalize',
      'POST /2/media/upload/:id/append',
      'POST /2/media/upload/:id/finalize',
    ]);
    expect((await api('POST', `/2/media/upload/${id}/append`, { token: BOB.token, form: form({ segment_index: '2' }, Buffer.alloc(1)) })).status).toBe(400);
  });
});
