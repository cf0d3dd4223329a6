import request from 'supertest';
import { type Harness, startHarness } from './helpers';
import { as, moveTo, newAccount, newPost, postIn } from './post-fixtures';

// A post is scheduled through the schedules API (task publish_post, payload {post_id}); its
// status and scheduled_at follow its schedules.

let h: Harness;
let account: string;
beforeAll(async () => {
  h = await startHarness();
  account = await newAccount(h, h.keyB);
});
afterAll(() => h.close());

let n = 0;
const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '.000Z');
const schedule = (postId: string, extra: object = {}, key = h.keyB) =>
  request(h.app)
    .post('/api/v1/schedules')
    .set(as(key))
    .send({ name: `publish-${(n += 1)}`, task: 'publish_post', payload: { post_id: postId }, kind: 'one_shot', run_at: inHours(2), ...extra });
const post = async (id: string) => (await request(h.app).get(`/api/v1/posts/${id}`).set(as(h.keyB))).body;
const scheduleCount = async () =>
  Number(
    (
      await h.db
        .selectFrom('schedules')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('scheduling a post through the schedules API', () => {
  it('moves the post to scheduled at the next fire time, and back to draft when the schedule is deleted', async () => {
    const id = await newPost(h, account, h.keyB);
    const runAt = inHours(3);
    const created = await schedule(id, { run_at: runAt });
    expect(created.status).toBe(201);
    expect(created.body.next_run_at).toBe(runAt);
    expect(await post(id)).toMatchObject({ status: 'scheduled', scheduled_at: runAt });

    expect((await request(h.app).delete(`/api/v1/schedules/${created.body.schedule_id}`).set(as(h.keyB))).status).toBe(204);
    expect(await post(id)).toMatchObject({ status: 'draft', scheduled_at: null });
  });

  it('takes a cron schedule, scheduled at its first fire', async () => {
    const id = await newPost(h, account, h.keyB);
    const created = await schedule(id, { kind: 'cron', cron: '0 9 * * *', timezone: 'Europe/Berlin', run_at: undefined });
    expect(created.status).toBe(201);
    expect(await post(id)).toMatchObject({ status: 'scheduled', scheduled_at: created.body.next_run_at });
  });

  it('keeps the earliest of several schedules, and follows changes, disabling and enabling', async () => {
    const id = await newPost(h, account, h.keyB);
    const later = (await schedule(id, { run_at: inHours(5) })).body;
    const sooner = (await schedule(id, { run_at: inHours(4) })).body;
    expect((await post(id)).scheduled_at).toBe(sooner.next_run_at);

    const moved = await request(h.app)
      .patch(`/api/v1/schedules/${sooner.schedule_id}`)
      .set(as(h.keyB))
      .send({ run_at: inHours(6) });
    expect(moved.status).toBe(200);
    expect((await post(id)).scheduled_at).toBe(later.next_run_at);

    await request(h.app).post(`/api/v1/schedules/${later.schedule_id}/disable`).set(as(h.keyB));
    expect((await post(id)).scheduled_at).toBe(moved.body.next_run_at);
    await request(h.app).post(`/api/v1/schedules/${sooner.schedule_id}/disable`).set(as(h.keyB));
    expect(await post(id)).toMatchObject({ status: 'draft', scheduled_at: null });
    const enabled = await request(h.app).post(`/api/v1/schedules/${later.schedule_id}/enable`).set(as(h.keyB));
    expect(await post(id)).toMatchObject({ status: 'scheduled', scheduled_at: enabled.body.next_run_at });

    // Deleting one leaves the post scheduled by the other.
    await request(h.app).post(`/api/v1/schedules/${sooner.schedule_id}/enable`).set(as(h.keyB));
    await request(h.app).delete(`/api/v1/schedules/${sooner.schedule_id}`).set(as(h.keyB));
    expect(await post(id)).toMatchObject({ status: 'scheduled', scheduled_at: enabled.body.next_run_at });
  });

  it('moves both posts when a schedule is pointed at another post', async () => {
    const [first, second] = [await newPost(h, account, h.keyB), await newPost(h, account, h.keyB)];
    const created = (await schedule(first)).body;
    const repointed = await request(h.app)
      .patch(`/api/v1/schedules/${created.schedule_id}`)
      .set(as(h.keyB))
      .send({ payload: { post_id: second } });
    expect(repointed.status).toBe(200);
    expect((await post(first)).status).toBe('draft');
    expect(await post(second)).toMatchObject({ status: 'scheduled', scheduled_at: created.next_run_at });
  });

  it("answers 404 for a post that is missing or another tenant's, and creates no schedule", async () => {
    const foreign = await newPost(h, await newAccount(h, h.keyA), h.keyA);
    const before = await scheduleCount();
    for (const id of [foreign, '00000000-0000-4000-8000-000000000000']) {
      const res = await schedule(id);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: 'post_not_found', issues: [{ path: 'payload.post_id', message: 'no such post of yours' }] });
    }
    expect(await scheduleCount()).toBe(before);
    const other = await request(h.app).get(`/api/v1/posts/${foreign}`).set(as(h.keyA));
    expect(other.body.status).toBe('draft');
    expect((await schedule('not-a-uuid')).status).toBe(400);
  });

  it('answers 409 for a post past draft and scheduled, and creates no schedule', async () => {
    const before = await scheduleCount();
    for (const status of ['queued', 'publishing', 'published', 'failed', 'cancelled'] as const) {
      const res = await schedule(await postIn(h, account, status, h.keyB));
      expect([status, res.status, res.body.message]).toEqual([status, 409, `post is ${status}; only draft or scheduled posts can be scheduled`]);
    }
    expect(await scheduleCount()).toBe(before);
  });

  it('cancels a post before its time: it stays cancelled, its schedules are turned off, also when one goes', async () => {
    const id = await newPost(h, account, h.keyB);
    const created = (await schedule(id)).body;
    const cancelled = await request(h.app).post(`/api/v1/posts/${id}/cancel`).set(as(h.keyB));
    expect([cancelled.status, cancelled.body.post.status, cancelled.body.revoked_task_id]).toEqual([200, 'cancelled', null]);
    expect((await request(h.app).get(`/api/v1/schedules/${created.schedule_id}`).set(as(h.keyB))).body.enabled).toBe(false);
    await request(h.app).delete(`/api/v1/schedules/${created.schedule_id}`).set(as(h.keyB));
    expect((await post(id)).status).toBe('cancelled');
  });

  it("turns off a deleted post's schedules, and no other post's", async () => {
    const [gone, kept] = [await newPost(h, account, h.keyB), await newPost(h, account, h.keyB)];
    const [goneSchedule, keptSchedule] = [(await schedule(gone)).body, (await schedule(kept)).body];
    expect((await request(h.app).delete(`/api/v1/posts/${gone}`).set(as(h.keyB))).status).toBe(204);
    const enabled = async (s: { schedule_id: string }) => (await request(h.app).get(`/api/v1/schedules/${s.schedule_id}`).set(as(h.keyB))).body.enabled;
    expect([await enabled(goneSchedule), await enabled(keptSchedule)]).toEqual([false, true]);
  });

  it('leaves a post that moved on alone when its schedule is changed or deleted', async () => {
    const id = await newPost(h, account, h.keyB);
    const created = (await schedule(id)).body;
    await moveTo(h, id, 'queued');
    expect(
      (
        await request(h.app)
          .patch(`/api/v1/schedules/${created.schedule_id}`)
          .set(as(h.keyB))
          .send({ name: `renamed-${id}` })
      ).status,
    ).toBe(200);
    expect((await request(h.app).delete(`/api/v1/schedules/${created.schedule_id}`).set(as(h.keyB))).status).toBe(204);
    expect((await post(id)).status).toBe('queued');
  });
});
