import type { PostStatus } from '@conveyor/contracts';
import { sql } from 'kysely';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';
import { as, moveTo, newAccount, newPost, postIn } from './post-fixtures';

// Publishing now and cancelling, against the real submission path: the publish_post task row
// in Postgres and its job in BullMQ.

let h: Harness;
let account: string;
beforeAll(async () => {
  h = await startHarness();
  account = await newAccount(h);
});
afterAll(() => h.close());

const publish = (id: string, key = h.keyA) => request(h.app).post(`/api/v1/posts/${id}/publish`).set(as(key));
const publishTasksOf = (postId: string) =>
  h.db
    .selectFrom('tasks')
    .selectAll()
    .where('task', '=', 'publish_post')
    .where(sql<string>`payload->>'post_id'`, '=', postId)
    .execute();

describe('POST /posts/{id}/publish', () => {
  it('queues a draft and submits one publish_post task for it, in Postgres and in BullMQ', async () => {
    const id = await newPost(h, account);
    const res = await publish(id);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ post: { post_id: id, status: 'queued' }, task_id: expect.any(String), enqueued: true });
    expect(res.headers.location).toBe(`/api/v1/tasks/${res.body.task_id}`);
    const task = await request(h.app).get(`/api/v1/tasks/${res.body.task_id}`).set(as(h.keyA));
    expect(task.body).toMatchObject({ task: 'publish_post', status: 'PENDING', payload: { post_id: id } });
    expect(await h.producer.queue('publishing').getJob(res.body.task_id)).toBeDefined();
    expect((await publishTasksOf(id)).map((t) => t.id)).toEqual([res.body.task_id]);
  });

  it('publishes a scheduled post now, and a failed one again with a task of its own', async () => {
    const scheduled = await postIn(h, account, 'scheduled');
    expect((await publish(scheduled)).body.post).toMatchObject({ status: 'queued' });

    const id = await newPost(h, account);
    const first = (await publish(id)).body.task_id as string;
    await moveTo(h, id, 'publishing');
    await moveTo(h, id, 'failed');
    const again = await publish(id);
    expect(again.status).toBe(202);
    expect(again.body.post).toMatchObject({ status: 'queued', attempts: 1, last_error: { type: 'XRejected' } });
    expect(again.body.task_id).not.toBe(first);
    expect((await publishTasksOf(id)).map((t) => t.id).sort()).toEqual([first, again.body.task_id].sort());
  });

  it.each([
    [
      'queued',
      /^post is queued; only draft, scheduled or failed posts can be published \(task [0-9a-f-]{36} publishes it; a queued post can still be cancelled\)$/,
    ],
    ['publishing', /^post is publishing; .*\(it is being published now\)$/],
    ['published', /^post is published; .*\(it is on X already as \d+\)$/],
    ['cancelled', /^post is cancelled; .*\(a cancelled post is never published; create a new post with its text\)$/],
  ] as [PostStatus, RegExp][])('answers 409 for a %s post, naming its state and what is allowed', async (status, message) => {
    const id = await newPost(h, account);
    if (status !== 'cancelled') expect((await publish(id)).status).toBe(202);
    if (status === 'cancelled') await moveTo(h, id, 'cancelled');
    if (status === 'publishing' || status === 'published') await moveTo(h, id, 'publishing');
    if (status === 'published') await moveTo(h, id, 'published');
    const tasksBefore = (await publishTasksOf(id)).length;
    const res = await publish(id);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'post_state_conflict', message: expect.stringMatching(message) });
    expect(await publishTasksOf(id)).toHaveLength(tasksBefore);
  });

  it('makes exactly one task of concurrent publish requests', async () => {
    for (let round = 0; round < 3; round += 1) {
      const id = await newPost(h, account);
      const answers = await Promise.all(Array.from({ length: 6 }, () => publish(id)));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([202, 409, 409, 409, 409, 409]);
      const tasks = await publishTasksOf(id);
      expect(tasks.map((t) => t.id)).toEqual([answers.find((a) => a.status === 202)!.body.task_id]);
      for (const refused of answers.filter((a) => a.status === 409)) expect(refused.body.message).toContain(`task ${tasks[0]!.id} publishes it`);
    }
  });

  it('cancels a queued post and revokes its publish task, whose job leaves the queue', async () => {
    const id = await newPost(h, account);
    const taskId = (await publish(id)).body.task_id as string;
    const res = await request(h.app).post(`/api/v1/posts/${id}/cancel`).set(as(h.keyA));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ post: { status: 'cancelled' }, revoked_task_id: taskId });
    expect((await request(h.app).get(`/api/v1/tasks/${taskId}`).set(as(h.keyA))).body.status).toBe('REVOKED');
    expect(await h.producer.queue('publishing').getJob(taskId)).toBeUndefined();
    // A draft has no publish task to revoke.
    const draft = await request(h.app)
      .post(`/api/v1/posts/${await newPost(h, account)}/cancel`)
      .set(as(h.keyA));
    expect(draft.body).toMatchObject({ post: { status: 'cancelled' }, revoked_task_id: null });
  });
});
