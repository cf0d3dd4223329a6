import { type TaskErrorValue, claimTask, failTask } from '@conveyor/db';
import { jobKey } from '@conveyor/queue';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

// A tenant's own dead letters: listing (filters, paging), groups, replay of one (as it was or
// with an edited payload), of some and of all, and discard; never another tenant's.

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const as = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Submits a task as the tenant of `key` and fails it for good with this error: a dead letter. */
async function deadLetter(key: string, task: 'test_task' | 'ping', error: { type: string; message: string; code?: string }): Promise<string> {
  const payload = task === 'test_task' ? { message: 'hi', steps: 1, step_ms: 0 } : {};
  const submitted = await request(h.app).post('/api/v1/tasks').set(as(key)).send({ task, payload });
  expect(submitted.status).toBe(202);
  const id = submitted.body.task_id as string;
  const claim = (await claimTask(h.db, id))!;
  await failTask(h.db, { ...claim, error: error as TaskErrorValue, retentionMs: 60_000 });
  return id;
}

const listOf = async (key: string, query = '') => {
  const res = await request(h.app).get(`/api/v1/dead-letters${query}`).set(as(key));
  expect(res.status).toBe(200);
  return res.body as { dead_letters: { task_id: string; error_code: string; payload: unknown }[]; next_cursor: string | null };
};
const idsOf = async (key: string, query = '') => (await listOf(key, query)).dead_letters.map((d) => d.task_id);
const statusOf = async (id: string, key = h.keyA) => (await request(h.app).get(`/api/v1/tasks/${id}`).set(as(key))).body.status as string;
const jobExists = async (id: string) => (await h.redis.exists(jobKey(h.prefix, 'monitoring', id))) === 1;

describe('listing and groups', () => {
  let a1: string, a2: string, a3: string, b1: string;
  beforeAll(async () => {
    a1 = await deadLetter(h.keyA, 'test_task', { type: 'PermanentError', message: 'over the cap', code: 'PLAN_LIMIT_REACHED' });
    a2 = await deadLetter(h.keyA, 'test_task', { type: 'PermanentError', message: 'over the cap again', code: 'PLAN_LIMIT_REACHED' });
    a3 = await deadLetter(h.keyA, 'ping', { type: 'Boom', message: 'broken' });
    b1 = await deadLetter(h.keyB, 'ping', { type: 'Boom', message: 'broken' });
  });

  it("lists the tenant's own, newest first, with error, code and payload, filtered by task and error code", async () => {
    const all = await listOf(h.keyA);
    expect(all.dead_letters.map((d) => d.task_id)).toEqual(expect.arrayContaining([a1, a2, a3]));
    expect(all.dead_letters.map((d) => d.task_id)).not.toContain(b1);
    expect(all.dead_letters.find((d) => d.task_id === a1)).toMatchObject({
      task: 'test_task',
      queue: 'monitoring',
      error: { type: 'PermanentError', message: 'over the cap', code: 'PLAN_LIMIT_REACHED' },
      error_code: 'PLAN_LIMIT_REACHED',
      attempts: 1,
      payload: { message: 'hi', steps: 1, step_ms: 0 },
    });
    expect(all.dead_letters.find((d) => d.task_id === a3)).toMatchObject({ error_code: 'Boom', payload: {} });
    expect(await idsOf(h.keyA, '?error_code=PLAN_LIMIT_REACHED')).toEqual(expect.arrayContaining([a1, a2]));
    expect(await idsOf(h.keyA, '?error_code=PLAN_LIMIT_REACHED')).not.toContain(a3);
    expect(await idsOf(h.keyA, '?task=ping')).toEqual([a3]);
    expect(await idsOf(h.keyB)).toEqual([b1]);
  });

  it('pages with next_cursor, and refuses a forged cursor, a bad limit and an unknown parameter', async () => {
    const first = await listOf(h.keyA, '?limit=2');
    expect(first.dead_letters).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await listOf(h.keyA, `?limit=2&cursor=${first.next_cursor}`);
    const seen = [...first.dead_letters, ...second.dead_letters].map((d) => d.task_id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining([a1, a2, a3]));

    const forged = await request(h.app).get('/api/v1/dead-letters?cursor=bm90LWEtY3Vyc29y').set(as(h.keyA));
    expect(forged.status).toBe(400);
    expect(forged.body.error).toBe('invalid_cursor');
    for (const query of ['?limit=0', '?limit=abc', '?limit=101', '?tenant_id=x', `?error_code=${'x'.repeat(101)}`]) {
      const res = await request(h.app).get(`/api/v1/dead-letters${query}`).set(as(h.keyA));
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.body.issues[0].path).toMatch(/^query\./);
    }
  });

  it('groups by task and error code, the largest first, per tenant', async () => {
    const res = await request(h.app).get('/api/v1/dead-letters/groups').set(as(h.keyA));
    expect(res.status).toBe(200);
    const groups = res.body.groups as { task: string; error_code: string; count: number; last_failed_at: string }[];
    expect(groups.slice(0, 2)).toEqual([
      { task: 'test_task', error_code: 'PLAN_LIMIT_REACHED', count: expect.any(Number), last_failed_at: expect.any(String) },
      expect.anything(),
    ]);
    expect(groups.find((g) => g.task === 'test_task')!.count).toBeGreaterThanOrEqual(2);
    expect(groups.find((g) => g.task === 'ping')).toMatchObject({ error_code: 'Boom', count: 1 });
    const other = await request(h.app).get('/api/v1/dead-letters/groups').set(as(h.keyB));
    expect(other.body.groups).toEqual([{ task: 'ping', error_code: 'Boom', count: 1, last_failed_at: expect.any(String) }]);
  });

  it('is for tenant keys: an admin key gets 403 and is pointed at its own routes', async () => {
    const res = await request(h.app).get('/api/v1/dead-letters').set(as(h.adminKey));
    expect(res.status).toBe(403);
    expect((await request(h.app).get('/api/v1/dead-letters')).status).toBe(401);
  });
});

describe('replay and discard', () => {
  it('replays one as it was: PENDING, enqueued, gone from the list', async () => {
    const id = await deadLetter(h.keyA, 'ping', { type: 'Boom', message: 'broken' });
    const res = await request(h.app).post(`/api/v1/dead-letters/${id}/replay`).set(as(h.keyA));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ task_id: id, status: 'PENDING', enqueued: true });
    expect(await statusOf(id)).toBe('PENDING');
    expect(await jobExists(id)).toBe(true);
    expect(await idsOf(h.keyA)).not.toContain(id);
    // Replayed once: a second replay finds no open dead letter.
    expect((await request(h.app).post(`/api/v1/dead-letters/${id}/replay`).set(as(h.keyA)).send({})).status).toBe(404);
  });

  it('replays one with an edited payload checked against the task: a valid one is stored, an invalid one is a 400 naming the field', async () => {
    const id = await deadLetter(h.keyA, 'test_task', { type: 'Boom', message: 'broken' });
    const bad = await request(h.app)
      .post(`/api/v1/dead-letters/${id}/replay`)
      .set(as(h.keyA))
      .send({ payload: { message: '', steps: 50 } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['payload.message', 'payload.steps']);
    const unknown = await request(h.app)
      .post(`/api/v1/dead-letters/${id}/replay`)
      .set(as(h.keyA))
      .send({ payload: { message: 'x', nope: 1 } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/nope/);
    expect((await request(h.app).post(`/api/v1/dead-letters/${id}/replay`).set(as(h.keyA)).send({ payload: 'text' })).status).toBe(400);
    // Nothing was replayed by the refused requests.
    expect(await statusOf(id)).toBe('FAILURE');

    const good = await request(h.app)
      .post(`/api/v1/dead-letters/${id}/replay`)
      .set(as(h.keyA))
      .send({ payload: { message: 'edited' } });
    expect(good.status).toBe(202);
    const task = await request(h.app).get(`/api/v1/tasks/${id}`).set(as(h.keyA));
    expect(task.body).toMatchObject({ status: 'PENDING', payload: { message: 'edited', steps: 5, step_ms: 200 } });
  });

  it("replays the ones named (not another tenant's, which it reports as not replayed), then all of a filter", async () => {
    const mine = await deadLetter(h.keyA, 'ping', { type: 'Boom', message: 'broken' });
    const theirs = await deadLetter(h.keyB, 'ping', { type: 'Boom', message: 'broken' });
    const named = await request(h.app)
      .post('/api/v1/dead-letters/replay')
      .set(as(h.keyA))
      .send({ task_ids: [mine, theirs] });
    expect(named.status).toBe(202);
    expect(named.body).toEqual({ replayed: 1, task_ids: [mine], not_replayed: [theirs], enqueued: true });
    expect(await statusOf(theirs, h.keyB)).toBe('FAILURE');
    expect(await idsOf(h.keyB)).toContain(theirs);

    const capped = [
      await deadLetter(h.keyA, 'test_task', { type: 'PermanentError', message: 'cap', code: 'CAP_X' }),
      await deadLetter(h.keyA, 'test_task', { type: 'PermanentError', message: 'cap', code: 'CAP_X' }),
    ];
    const other = await deadLetter(h.keyA, 'ping', { type: 'Boom', message: 'broken' });
    const filtered = await request(h.app).post('/api/v1/dead-letters/replay').set(as(h.keyA)).send({ all: true, error_code: 'CAP_X' });
    expect(filtered.status).toBe(202);
    expect([...filtered.body.task_ids].sort()).toEqual([...capped].sort());
    expect(await idsOf(h.keyA)).toContain(other);

    const all = await request(h.app).post('/api/v1/dead-letters/replay').set(as(h.keyA)).send({ all: true });
    expect(all.body.task_ids).toContain(other);
    expect(await idsOf(h.keyA)).toEqual([]);
    // Tenant B's dead letter was never touched.
    expect(await idsOf(h.keyB)).toContain(theirs);
  });

  it('refuses a replay body that is neither task_ids nor all: true', async () => {
    for (const body of [
      {},
      { all: false },
      { task_ids: [] },
      { task_ids: ['nope'] },
      { task_ids: ['00000000-0000-4000-8000-000000000000'], all: true },
      { all: true, tenant_id: 'x' },
    ]) {
      const res = await request(h.app).post('/api/v1/dead-letters/replay').set(as(h.keyA)).send(body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(res.body.message).toMatch(/^Invalid replay request: /);
    }
    const neither = await request(h.app).post('/api/v1/dead-letters/replay').set(as(h.keyA)).send({});
    expect(neither.body.message).toContain('send exactly one of task_ids (a list of ids) or all: true');
  });

  it('discards: no longer listed, grouped or replayed in bulk; the task stays FAILURE and can still be retried', async () => {
    const id = await deadLetter(h.keyA, 'ping', { type: 'Discard', message: 'ignore me' });
    const res = await request(h.app).delete(`/api/v1/dead-letters/${id}`).set(as(h.keyA));
    expect(res.status).toBe(204);
    expect(await idsOf(h.keyA)).not.toContain(id);
    const groups = (await request(h.app).get('/api/v1/dead-letters/groups').set(as(h.keyA))).body.groups as { error_code: string }[];
    expect(groups.map((g) => g.error_code)).not.toContain('Discard');
    const all = await request(h.app).post('/api/v1/dead-letters/replay').set(as(h.keyA)).send({ all: true });
    expect(all.body.task_ids).not.toContain(id);
    expect(await statusOf(id)).toBe('FAILURE');
    // An admin still sees it, marked as discarded.
    const admin = await request(h.app).get('/api/v1/admin/dead-letters?task=ping').set(as(h.adminKey));
    expect(admin.body.dead_letters.find((d: { task_id: string }) => d.task_id === id)).toMatchObject({ acknowledged_at: expect.any(String) });
    expect((await request(h.app).delete(`/api/v1/dead-letters/${id}`).set(as(h.keyA))).status).toBe(404);
    expect((await request(h.app).post(`/api/v1/dead-letters/${id}/replay`).set(as(h.keyA))).status).toBe(404);
    expect((await request(h.app).post(`/api/v1/tasks/${id}/retry`).set(as(h.keyA))).status).toBe(202);
  });

  it("answers 404 for another tenant's dead letter and 400 for an id that is not one", async () => {
    const theirs = await deadLetter(h.keyB, 'ping', { type: 'Boom', message: 'broken' });
    expect((await request(h.app).post(`/api/v1/dead-letters/${theirs}/replay`).set(as(h.keyA))).status).toBe(404);
    expect((await request(h.app).delete(`/api/v1/dead-letters/${theirs}`).set(as(h.keyA))).status).toBe(404);
    expect(await statusOf(theirs, h.keyB)).toBe('FAILURE');
    expect(await idsOf(h.keyB)).toContain(theirs);
    for (const bad of ['nope', '1', 'ffffffff-ffff-ffff-ffff-ffffffffffffff', '%00']) {
      const replay = await request(h.app).post(`/api/v1/dead-letters/${bad}/replay`).set(as(h.keyA));
      expect([bad, replay.status]).toEqual([bad, 400]);
      expect(replay.body.error).toBe('invalid_task_id');
      expect((await request(h.app).delete(`/api/v1/dead-letters/${bad}`).set(as(h.keyA))).status).toBe(400);
    }
    expect((await request(h.app).get(`/api/v1/dead-letters/${theirs}`).set(as(h.keyA))).status).toBe(405);
  });
});
