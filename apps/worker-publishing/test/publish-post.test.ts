import { createPost, findPost, listMetricsSnapshots } from '@conveyor/db';
import { type PublishingHarness, publishingHarness } from './publishing-harness';

const WRONG_TOKEN = 'tok-not-known-to-x';
let h: PublishingHarness;
beforeAll(async () => (h = await publishingHarness({ tokens: { X_TOKEN_WRONG: WRONG_TOKEN } })));
afterAll(() => h.close());
afterEach(() => h.control('DELETE', 'faults'));

const outcomes = async (taskId: string) => ((await h.taskRow(taskId)).attempt_history as { outcome: string }[]).map((a) => a.outcome);

describe('publish_post', () => {
  it("publishes a queued post once, records X's id and plans a metrics capture per stage", async () => {
    const post = await h.queuedPost('Hello from the worker');
    const task = await h.task('publish_post', { post_id: post.id });
    expect(await h.run(task.id)).toEqual({ kind: 'success' });
    const [onX] = await h.simPosts();
    expect(await h.post(post.id)).toMatchObject({ status: 'published', x_post_id: onX!.id, attempts: 1, publish_request_id: expect.any(String) });
    expect((await h.taskRow(task.id)).result).toEqual({ post_id: post.id, status: 'published', x_post_id: onX!.id, recovered: false, dry_run: false });
    const captures = await h.db.selectFrom('tasks').select(['task', 'payload', 'run_at']).where('task', '=', 'capture_metrics').execute();
    expect(captures.map((c) => c.payload)).toEqual(
      expect.arrayContaining([
        { post_id: post.id, stage: '15m' },
        { post_id: post.id, stage: '1h' },
      ]),
    );
  });

  it('leaves a published or cancelled post alone', async () => {
    const post = await h.queuedPost('Cancelled before its time');
    await h.db.updateTable('posts').set({ status: 'cancelled' }).where('id', '=', post.id).execute();
    const task = await h.task('publish_post', { post_id: post.id });
    expect(await h.run(task.id)).toEqual({ kind: 'success' });
    expect((await h.taskRow(task.id)).result).toMatchObject({ status: 'skipped', reason: 'post is cancelled' });
    expect((await h.simPosts()).filter((p) => p.text === 'Cancelled before its time')).toEqual([]);
  });

  it('retries a 5xx with backoff and publishes on the next attempt, the post going back to queued in between', async () => {
    const post = await h.queuedPost('Through a 503');
    await h.control('POST', 'faults', { endpoint: 'POST /2/tweets', status: 503, times: 1 });
    const task = await h.task('publish_post', { post_id: post.id });
    expect(await h.run(task.id)).toMatchObject({ kind: 'retry' });
    expect(await h.post(post.id)).toMatchObject({ status: 'queued', last_error: { message: expect.stringContaining('503') } });
    expect(await h.run(task.id)).toEqual({ kind: 'success' });
    expect(await h.post(post.id)).toMatchObject({ status: 'published', attempts: 2, last_error: null });
  });

  it('after a lost answer, finds the post X made and records it instead of posting again', async () => {
    const post = await h.queuedPost('Did this one go out?');
    await h.control('POST', 'faults', { endpoint: 'POST /2/tweets', drop: 'after-accept', times: 1 });
    const before = (await h.creates()).length;
    const task = await h.task('publish_post', { post_id: post.id });
    expect(await h.run(task.id)).toMatchObject({ kind: 'retry' });
    expect(await h.run(task.id)).toEqual({ kind: 'success' });
    const onX = (await h.simPosts()).filter((p) => p.text === 'Did this one go out?');
    expect(onX).toHaveLength(1);
    expect(await h.post(post.id)).toMatchObject({ status: 'published', x_post_id: onX[0]!.id });
    expect((await h.taskRow(task.id)).result).toMatchObject({ recovered: true });
    expect((await h.creates()).length - before).toBe(1); // the retry asked X, it did not post
  });

  it('defers a 429 to the window reset without spending an attempt, and the post waits in queued', async () => {
    // An account of its own: the 429 closes its window until X's reset, and only its window.
    const limited = await h.newAccount('limited', 'env:X_TOKEN_ACME');
    const post = await h.queuedPost('Rate limited once', limited);
    await h.control('POST', 'faults', { endpoint: 'POST /2/tweets', status: 429, times: 1 });
    const task = await h.task('publish_post', { post_id: post.id }, 1);
    const deferred = await h.run(task.id);
    expect(deferred).toMatchObject({ kind: 'deferred', delayMs: expect.any(Number) });
    expect(await h.post(post.id)).toMatchObject({ status: 'queued', publish_request_id: null });
    expect(await h.taskRow(task.id)).toMatchObject({ status: 'RETRY', max_attempts: 2 });
    expect(await outcomes(task.id)).toEqual(['deferred']);
    // While X's window is spent, the limiter puts the task off again without calling X.
    const creates = (await h.creates()).length;
    expect(await h.run(task.id)).toMatchObject({ kind: 'deferred' });
    expect((await h.creates()).length).toBe(creates);
  });

  it('fails at once, with the reason on the post, when the token secret is missing', async () => {
    const post = await h.queuedPost('No token', await h.newAccount('no_token', 'env:X_TOKEN_NOBODY'));
    const task = await h.task('publish_post', { post_id: post.id });
    expect(await h.run(task.id)).toEqual({ kind: 'failure' });
    expect(await h.post(post.id)).toMatchObject({
      status: 'failed',
      last_error: { type: 'PermanentError', message: expect.stringContaining('X_TOKEN_MISSING') },
    });
  });

  it('fails at once, with the reason on the post, when X refuses the token; the token is in no log line', async () => {
    const post = await h.queuedPost('Wrong token', await h.newAccount('wrong_token', 'env:X_TOKEN_WRONG'));
    const task = await h.task('publish_post', { post_id: post.id });
    expect(await h.run(task.id)).toEqual({ kind: 'failure' });
    expect(await h.post(post.id)).toMatchObject({ status: 'failed', publish_request_id: null, last_error: { message: expect.stringContaining('X_AUTH') } });
    expect(h.logs()).not.toContain(WRONG_TOKEN);
    expect(JSON.stringify(await h.taskRow(task.id))).not.toContain(WRONG_TOKEN);
  });

  it('fails a second post with the same text as a duplicate: the X post it matches belongs to another post', async () => {
    const first = await h.queuedPost('Same words twice');
    expect(await h.run((await h.task('publish_post', { post_id: first.id })).id)).toEqual({ kind: 'success' });
    const second = await h.queuedPost('Same words twice');
    const task = await h.task('publish_post', { post_id: second.id });
    expect(await h.run(task.id)).toEqual({ kind: 'failure' });
    expect(await h.post(second.id)).toMatchObject({ status: 'failed', last_error: { message: expect.stringContaining('X_DUPLICATE') } });
    expect((await h.simPosts()).filter((p) => p.text === 'Same words twice')).toHaveLength(1);
  });

  it('marks the post failed when its last attempt fails transiently', async () => {
    const post = await h.queuedPost('Out of attempts');
    await h.control('POST', 'faults', { endpoint: 'POST /2/tweets', status: 502, times: 1 });
    const task = await h.task('publish_post', { post_id: post.id }, 1);
    expect(await h.run(task.id)).toEqual({ kind: 'failure' });
    expect(await h.post(post.id)).toMatchObject({ status: 'failed', last_error: { message: expect.stringContaining('502') } });
    expect(await outcomes(task.id)).toEqual(['failure']);
  });

  it('refuses another tenant’s post as not found', async () => {
    const stranger = await h.db.insertInto('tenants').values({ name: 'stranger', plan: 'trial' }).returning('id').executeTakeFirstOrThrow();
    const strangerAccount = await h.db
      .insertInto('x_accounts')
      .values({ tenant_id: stranger.id, handle: 'stranger', api_tier: 'pro', token_secret_ref: 'env:X_TOKEN_ACME' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const post = await createPost(h.db, { tenant_id: stranger.id, account_id: strangerAccount.id, text: 'not yours' });
    const task = await h.task('publish_post', { post_id: post.id });
    expect(await h.run(task.id)).toEqual({ kind: 'failure' });
    expect((await h.taskRow(task.id)).error).toMatchObject({ code: 'POST_NOT_FOUND' });
    expect((await findPost(h.db, post.id))!.status).toBe('draft');
  });
});

describe('capture_metrics', () => {
  it('stores one snapshot per stage with impressions for the author, and a repeat changes nothing', async () => {
    const post = await h.queuedPost('Measure me');
    expect(await h.run((await h.task('publish_post', { post_id: post.id })).id)).toEqual({ kind: 'success' });
    const capture = await h.task('capture_metrics', { post_id: post.id, stage: '15m' });
    expect(await h.run(capture.id)).toEqual({ kind: 'success' });
    const again = await h.task('capture_metrics', { post_id: post.id, stage: '15m' });
    expect(await h.run(again.id)).toEqual({ kind: 'success' });
    expect((await h.taskRow(again.id)).result).toMatchObject({ stored: false });
    const snapshots = await listMetricsSnapshots(h.db, post.id);
    expect(snapshots).toEqual([expect.objectContaining({ stage: '15m', impressions: expect.any(Number), likes: expect.any(Number) })]);
  });

  it('refuses a post that is not published', async () => {
    const post = await h.queuedPost('Not yet out');
    const task = await h.task('capture_metrics', { post_id: post.id, stage: '1h' });
    expect(await h.run(task.id)).toEqual({ kind: 'failure' });
    expect((await h.taskRow(task.id)).error).toMatchObject({ code: 'POST_NOT_PUBLISHED' });
  });
});
