import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import {
  type Database,
  claimPostForPublishing,
  createTenantWithKey,
  findPost,
  findPostByXPostId,
  listMetricsSnapshots,
  recordMetricsSnapshot,
  recordPostMediaIds,
  takeOverPublishing,
} from '../src';
import { move, newAccount, postIn } from './posts-fixtures';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
let owner: { tenantId: string; accountId: string };

beforeAll(async () => {
  ({ db, close } = await openTestDb());
  const tenantId = (await createTenantWithKey(db, { name: 'publisher', plan: 'trial' })).tenant.id;
  owner = { tenantId, accountId: (await newAccount(db, tenantId)).id };
});
afterAll(() => close());

async function claimedBy(taskId: string, attempt: number) {
  const post = await postIn(db, 'queued', owner);
  const claim = await claimPostForPublishing(db, { postId: post.id, publishRequestId: randomUUID(), task: { id: taskId, attempt } });
  if (!claim.ok) throw new Error('claim failed');
  return claim.post;
}

describe("the publishing worker's writes", () => {
  it('records which task attempt claimed a post', async () => {
    const taskId = randomUUID();
    expect(await claimedBy(taskId, 2)).toMatchObject({ status: 'publishing', publishing_task_id: taskId, publishing_attempt: 2 });
  });

  it('lets a later attempt of the same task take a post over at once, keeping the publish request', async () => {
    const taskId = randomUUID();
    const held = await claimedBy(taskId, 1);
    expect(await takeOverPublishing(db, { postId: held.id, taskId, attempt: 1, staleMs: 3_600_000 })).toBeUndefined(); // not a later attempt
    const taken = await takeOverPublishing(db, { postId: held.id, taskId, attempt: 2, staleMs: 3_600_000 });
    expect(taken).toMatchObject({ status: 'queued', publish_request_id: held.publish_request_id });
    // The next claim keeps the earlier request: a call may have happened.
    const again = await claimPostForPublishing(db, { postId: held.id, publishRequestId: randomUUID(), task: { id: taskId, attempt: 2 } });
    expect(again).toMatchObject({ ok: true, callMayHaveHappened: true });
  });

  it("leaves another task's fresh hold alone, and takes a stale one over", async () => {
    const held = await claimedBy(randomUUID(), 1);
    expect(await takeOverPublishing(db, { postId: held.id, taskId: randomUUID(), attempt: 5, staleMs: 3_600_000 })).toBeUndefined();
    await sql`update posts set updated_at = now() - interval '2 hours' where id = ${held.id}`.execute(db);
    expect(await takeOverPublishing(db, { postId: held.id, taskId: randomUUID(), attempt: 1, staleMs: 3_600_000 })).toMatchObject({ status: 'queued' });
  });

  it('keeps media ids by compare-and-set on the ids last read, and only before publication', async () => {
    const post = await postIn(db, 'queued', owner);
    expect(await recordPostMediaIds(db, post.id, [], ['m1'])).toBe(true);
    expect(await recordPostMediaIds(db, post.id, [], ['other'])).toBe(false); // a concurrent writer's stale read
    expect(await recordPostMediaIds(db, post.id, ['m1'], ['m1', 'm2'])).toBe(true);
    expect((await findPost(db, post.id))!.media_ids).toEqual(['m1', 'm2']);
    const published = await postIn(db, 'published', owner);
    expect(await recordPostMediaIds(db, published.id, [], ['late'])).toBe(false);
  });

  it('lets one X post be held by one post of an account only', async () => {
    const first = await postIn(db, 'publishing', owner);
    const second = await postIn(db, 'publishing', owner);
    expect(await move(db, first.id, 'published')).toMatchObject({ ok: true });
    const xPostId = (await findPost(db, first.id))!.x_post_id!;
    expect((await findPostByXPostId(db, owner.accountId, xPostId))?.id).toBe(first.id);
    await expect(
      db.updateTable('posts').set({ status: 'published', x_post_id: xPostId, published_at: new Date() }).where('id', '=', second.id).execute(),
    ).rejects.toMatchObject({ code: '23505', constraint: 'posts_account_x_post' });
  });

  it('takes stages in seconds too, ordering the series by length', async () => {
    const post = await postIn(db, 'published', owner);
    for (const stage of ['1m', '30s', '2s']) {
      expect(await recordMetricsSnapshot(db, { post_id: post.id, stage, likes: 1, reposts: 0, replies: 0, quotes: 0, bookmarks: 0, impressions: null })).toBe(
        true,
      );
    }
    expect((await listMetricsSnapshots(db, post.id)).map((s) => s.stage)).toEqual(['2s', '30s', '1m']);
  });
});
