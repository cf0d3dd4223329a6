import request from 'supertest';
import { type Harness, startHarness } from './helpers';

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

// keyA is a trial tenant (fires at most every 300 s); keyB is growth (every second).
const as = (key: string) => ({ Authorization: `Bearer ${key}` });
const create = (body: object, key = h.keyB) => request(h.app).post('/api/v1/schedules').set(as(key)).send(body);
const cron = (name: string, extra: object = {}) => ({ name, task: 'ping', kind: 'cron', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', ...extra });

describe('schedules API', () => {
  it('creates a cron schedule and shows its next five fire times', async () => {
    const res = await create(cron('weekday-mornings'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'weekday-mornings', kind: 'cron', timezone: 'Europe/Berlin', misfire_policy: 'fire_once', enabled: true });
    expect(res.body.next_fire_times).toHaveLength(5);
    for (const t of res.body.next_fire_times) {
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', weekday: 'short' }).format(new Date(t));
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:00$/);
    }
    expect(res.body.next_run_at).toBe(res.body.next_fire_times[0]);
  });

  it('creates RRULE and one-shot schedules', async () => {
    const rrule = await create({ name: 'mondays', task: 'test_task', payload: { message: 'weekly' }, kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2026-01-05T08:30', timezone: 'America/New_York' });
    expect(rrule.status).toBe(201);
    expect(rrule.body.payload).toEqual({ message: 'weekly', steps: 5, step_ms: 200 });
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const once = await create({ name: 'once', task: 'ping', kind: 'one_shot', run_at: runAt });
    expect(once.body.next_fire_times).toEqual([runAt]);
  });

  it.each([
    [{ ...cron('bad-cron'), cron: '61 * * * *' }, 'cron'],
    [{ ...cron('bad-tz'), timezone: 'Mars/Olympus' }, 'timezone'],
    [{ name: 'bad-rrule', task: 'ping', kind: 'rrule', rrule: 'FREQ=SOMETIMES', dtstart: '2026-01-01T09:00' }, 'rrule'],
    [{ name: 'no-dtstart', task: 'ping', kind: 'rrule', rrule: 'FREQ=DAILY' }, 'dtstart'],
    [{ ...cron('bad-payload'), task: 'test_task', payload: { message: '' } }, 'payload.message'],
    [{ ...cron('bad-task'), task: 'nope' }, 'task'],
    [{ name: 'past', task: 'ping', kind: 'one_shot', run_at: '2020-01-01T00:00:00Z' }, 'run_at'],
  ])('answers 400 naming what is wrong (%#)', async (body, path) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it("refuses an interval shorter than the plan allows", async () => {
    const res = await create(cron('too-often', { cron: '*/1 * * * *' }), h.keyA);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/trial plan allows \(at most every 300 s\)/);
    expect((await create(cron('fine', { cron: '*/1 * * * *' }), h.keyB)).status).toBe(201);
  });

  it("answers 409 for a name taken, and 404 for another tenant's schedule", async () => {
    await create(cron('dup'));
    expect((await create(cron('dup'))).status).toBe(409);
    const mine = await create(cron('private'));
    for (const [method, path] of [['get', ''], ['patch', ''], ['delete', ''], ['post', '/trigger'], ['post', '/disable']] as const) {
      const res = await request(h.app)[method](`/api/v1/schedules/${mine.body.schedule_id}${path}`).set(as(h.keyA)).send({});
      expect(res.status).toBe(404);
    }
    const list = await request(h.app).get('/api/v1/schedules').set(as(h.keyA));
    expect(list.body.schedules.map((s: { name: string }) => s.name)).not.toContain('private');
  });

  it('changes, disables, enables, triggers and deletes', async () => {
    const { body } = await create(cron('lifecycle'));
    const id = body.schedule_id;
    const patched = await request(h.app).patch(`/api/v1/schedules/${id}`).set(as(h.keyB)).send({ cron: '0 18 * * *', misfire_policy: 'skip' });
    expect(patched.body).toMatchObject({ cron: '0 18 * * *', misfire_policy: 'skip' });
    expect(new Date(patched.body.next_fire_times[1]).getTime() - new Date(patched.body.next_fire_times[0]).getTime()).toBe(86_400_000);
    const disabled = await request(h.app).post(`/api/v1/schedules/${id}/disable`).set(as(h.keyB));
    expect(disabled.body).toMatchObject({ enabled: false, next_fire_times: [] });
    const enabled = await request(h.app).post(`/api/v1/schedules/${id}/enable`).set(as(h.keyB));
    expect(enabled.body.enabled).toBe(true);
    const fired = await request(h.app).post(`/api/v1/schedules/${id}/trigger`).set(as(h.keyB));
    expect(fired.status).toBe(202);
    const task = await h.db.selectFrom('tasks').selectAll().where('id', '=', fired.body.task_id).executeTakeFirstOrThrow();
    expect(task).toMatchObject({ schedule_id: id, task: 'ping', status: 'PENDING' });
    expect(await h.producer.queue('monitoring').getJob(fired.body.task_id)).toBeDefined();
    expect((await request(h.app).delete(`/api/v1/schedules/${id}`).set(as(h.keyB))).status).toBe(204);
    expect((await request(h.app).get(`/api/v1/schedules/${id}`).set(as(h.keyB))).status).toBe(404);
  });
});
