import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { XSimulator } from '@conveyor/sim';
import { AppStack, freePort, waitFor } from '@conveyor/testkit';
import { type Conveyor, ConflictError } from '@conveyor/client';
import { startMediaOrigin } from './media-origin';
import { type Json, clientOf } from './support';

// Publishing to X end to end: the API, the scheduler and the publishing worker as real
// processes, X as the loopback simulator (the real client code calls it over HTTP), media
// from a loopback origin the worker is told to allow.

const ACME = { token: 'tok-acme-e2e', id: '1700000000000000001', username: 'acme_e2e', tier: 'basic' as const };

let stack: AppStack;
let conveyor: Conveyor;
let x: XSimulator;
let xBase: string;
let origin: Awaited<ReturnType<typeof startMediaOrigin>>;
let accountId: string;

// The simulator's control routes are not the API: raw fetch.
const control = async (method: string, path: string, body?: unknown) =>
  (await fetch(`${xBase}/_sim/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<Record<string, any>>;
const simPosts = async (text: string) =>
  ((await control('GET', 'posts')).posts as { id: string; text: string; media_ids: string[] }[]).filter((p) => p.text === text);
const simRequests = async (endpoint: string) =>
  ((await control('GET', 'requests')).requests as { endpoint?: string; status: number }[]).filter((r) => r.endpoint === endpoint);

async function newPost(text: string, media?: unknown[]): Promise<string> {
  const created = await conveyor.request<Json>('POST', '/posts', { body: { account_id: accountId, text, ...(media ? { media } : {}) } });
  expect(created).toMatchObject({ post_id: expect.any(String), account_id: accountId, text });
  return created.post_id as string;
}

/** The post as GET /posts/{id} shows it (posts have no typed resource in the client). */
const getPost = (id: string) => conveyor.request<Json>('GET', `/posts/${id}`);

/** POST /posts/{id}/publish: the post is queued and a task made to publish it. */
async function publish(id: string): Promise<void> {
  expect(await conveyor.request<Json>('POST', `/posts/${id}/publish`)).toMatchObject({ post: { post_id: id }, task_id: expect.any(String) });
}

function postReaches(id: string, statuses: string[], timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const post = await getPost(id);
      return statuses.includes(post.status as string) ? post : undefined;
    },
    `post ${id} to reach ${statuses.join('/')}`,
    timeoutMs,
    100,
  );
}

beforeAll(async () => {
  x = new XSimulator({ accounts: [ACME] });
  xBase = await x.listen();
  origin = await startMediaOrigin();
  stack = await AppStack.create({
    template: { key: schemaFingerprint(), migrate: migrateUrl },
    env: {
      X_API_BASE_URL: xBase,
      X_DRY_RUN: 'false',
      X_TOKEN_ACME: ACME.token,
      X_METRICS_STAGES: '2s,4s',
      MEDIA_FETCH_ALLOW_HOSTS: origin.host,
      SCHEDULER_TICK_MS: '250',
    },
  });
  const apiPort = await freePort();
  await Promise.all([stack.start('api', apiPort), stack.start('worker-publishing', await freePort()), stack.start('scheduler', await freePort())]);
  conveyor = clientOf(apiPort, (await stack.createTenant('publisher', 'growth')).api_key);
  const account = await conveyor.request<Json>('POST', '/x-accounts', {
    body: { handle: ACME.username, api_tier: 'basic', token_secret_ref: 'env:X_TOKEN_ACME' },
  });
  expect(account).toMatchObject({ account_id: expect.any(String), handle: ACME.username });
  accountId = account.account_id as string;
}, 300_000);
afterAll(async () => {
  await stack?.stop();
  await x?.close();
  await origin?.close();
}, 30_000);

describe('a scheduled post', () => {
  it('publishes once, at its time, then refuses edits; its metrics arrive at each stage', async () => {
    const text = 'Scheduled launch note, e2e';
    const id = await newPost(text);
    const runAt = new Date(Date.now() + 3000);
    const schedule = await conveyor.schedules.create({
      name: 'launch',
      task: 'publish_post',
      payload: { post_id: id },
      kind: 'one_shot',
      run_at: runAt.toISOString(),
    });
    expect(schedule).toMatchObject({ schedule_id: expect.any(String), name: 'launch', task: 'publish_post' });
    expect(await getPost(id)).toMatchObject({ status: 'scheduled', scheduled_at: runAt.toISOString() });

    const published = await postReaches(id, ['published', 'failed']);
    expect(published).toMatchObject({ status: 'published', attempts: 1, last_error: null });
    expect(new Date(published.published_at as string).getTime()).toBeGreaterThanOrEqual(runAt.getTime());
    const onX = await simPosts(text);
    expect(onX).toHaveLength(1);
    expect(published.x_post_id).toBe(onX[0]!.id);

    const edit = await conveyor.request('PATCH', `/posts/${id}`, { body: { text: 'too late' } }).catch((e: unknown) => e);
    expect(edit).toBeInstanceOf(ConflictError);
    expect(edit).toMatchObject({
      status: 409,
      code: 'post_state_conflict',
      message: expect.stringMatching(/post is published; only draft or scheduled posts can be edited/),
    });

    const series = await waitFor(async () => {
      const body = await conveyor.request<Json>('GET', `/posts/${id}/metrics`);
      return (body.snapshots as unknown[]).length === 2 ? (body.snapshots as Record<string, any>[]) : undefined;
    }, 'both metrics stages');
    expect(series.map((s) => s.stage)).toEqual(['2s', '4s']);
    for (const s of series) expect(s).toMatchObject({ likes: expect.any(Number), reposts: expect.any(Number), impressions: expect.any(Number) });
    expect(series[1]!.likes).toBeGreaterThanOrEqual(series[0]!.likes);
  }, 120_000);

  it('cancelled before its time, never publishes', async () => {
    const text = 'This one is called off, e2e';
    const id = await newPost(text);
    const runAt = Date.now() + 2000;
    const schedule = await conveyor.schedules.create({
      name: 'called off',
      task: 'publish_post',
      payload: { post_id: id },
      kind: 'one_shot',
      run_at: new Date(runAt).toISOString(),
    });
    expect(schedule).toMatchObject({ schedule_id: expect.any(String), name: 'called off', enabled: true });
    // A post due a second later: once it is out, the scheduler has passed the cancelled one's time.
    const sentinelText = 'Sentinel after the called-off one, e2e';
    const sentinel = await newPost(sentinelText);
    await conveyor.schedules.create({
      name: 'sentinel',
      task: 'publish_post',
      payload: { post_id: sentinel },
      kind: 'one_shot',
      run_at: new Date(runAt + 1000).toISOString(),
    });

    expect(await conveyor.request<Json>('POST', `/posts/${id}/cancel`)).toMatchObject({ post: { post_id: id, status: 'cancelled' } });
    expect((await conveyor.schedules.get(schedule.schedule_id)).enabled).toBe(false);

    expect(await postReaches(sentinel, ['published', 'failed'])).toMatchObject({ status: 'published' });
    expect((await getPost(id)).status).toBe('cancelled');
    expect(await simPosts(text)).toEqual([]);
  }, 120_000);
});

describe('media', () => {
  it('uploads a good image once, even when the publish is retried', async () => {
    const text = 'With a picture, e2e';
    const id = await newPost(text, [{ url: `${origin.base}/good.png`, kind: 'image', alt_text: 'a picture' }]);
    await control('POST', 'faults', { endpoint: 'POST /2/tweets', status: 503, times: 1 });
    await publish(id);
    const published = await postReaches(id, ['published', 'failed']);
    expect(published).toMatchObject({ status: 'published', attempts: 2 });
    expect(published.media_ids).toHaveLength(1);
    expect(origin.hits.get('/good.png')).toBe(1);
    expect(await simRequests('POST /2/media/upload')).toHaveLength(1);
    const [onX] = await simPosts(text);
    expect(onX?.media_ids).toEqual(published.media_ids);
  }, 120_000);

  it.each([
    ['a private address', 'http://10.0.0.7/cat.png', /private/],
    ['a redirect to a private address', '/to-private.png', /private/],
    ['a file over the size limit', '/huge.png', /5 ?MB/],
    ['a page that is not an image', '/page.png', /text\/html/],
  ])(
    'refuses %s with a clear error on the post, and posts nothing',
    async (_what, url, message) => {
      const text = `Refused media: ${url}`;
      const id = await newPost(text, [{ url: url.startsWith('/') ? `${origin.base}${url}` : url, kind: 'image' }]);
      await publish(id);
      const failed = await postReaches(id, ['published', 'failed']);
      expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
      expect(failed.last_error.message).toMatch(message);
      expect(await simPosts(text)).toEqual([]);
    },
    60_000,
  );
});
