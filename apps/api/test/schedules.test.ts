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
    const rrule = await create({
      name: 'mondays',
      task: 'test_task',
      payload: { message: 'weekly' },
      kind: 'rrule',
      rrule: 'FREQ=WEEKLY;BYDAY=MO',
      dtstart: '2026-01-05T08:30',
      timezone: 'America/New_York',
    });
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

  it('refuses an interval shorter than the plan allows', async () => {
    const res = await create(cron('too-often', { cron: '*/1 * * * *' }), h.keyA);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/trial plan allows \(at most every 300 s\): two of its fires can be 60 s apart/);
    expect((await create(cron('fine', { cron: '*/1 * * * *' }), h.keyB)).status).toBe(201);
  });

  describe('rules whose expansion would be costly or wrong are refused with the reason, quickly', () => {
    const rrule = (name: string, text: string, dtstart = '2026-01-05T09:00', extra: object = {}) => ({
      name,
      task: 'ping',
      kind: 'rrule',
      rrule: text,
      dtstart,
      ...extra,
    });
    it.each([
      // Never fires: rrule.js walked period by period to the year 9999 (3-6 s, every GET too).
      [rrule('feb-30', 'FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30'), 'rrule', /^FREQ=WEEKLY has no occurrence within 600 weeks after .*it fires too rarely or never/],
      [
        rrule('leap-daily', 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO'),
        'rrule',
        /^FREQ=DAILY has no occurrence within 600 days after .*too rarely or never/,
      ],
      [cron('fifth-feb-monday', { cron: '0 0 * 2 1#5' }), 'cron', /no time within 4 years after .*too rarely or never/],
      // These looped forever inside rrule.js: the API process never answered again.
      [rrule('hour-24', 'FREQ=HOURLY;BYHOUR=24'), 'rrule', /BYHOUR value 24 is not a whole number from 0 to 23/],
      [rrule('odd-hours', 'FREQ=HOURLY;INTERVAL=2;BYHOUR=1', '2026-01-05T08:00'), 'rrule', /never fires: stepping by INTERVAL=2 from DTSTART's 8/],
      [rrule('minutely-byhour', 'FREQ=MINUTELY;INTERVAL=15;BYHOUR=9,10'), 'rrule', /BYHOUR with FREQ=MINUTELY is not supported.*FREQ=DAILY/],
      [rrule('long-count', 'FREQ=SECONDLY;COUNT=100000'), 'rrule', /COUNT=100000 is expanded from DTSTART.*use UNTIL/],
      // Years 0-99 were read as 1900-1999.
      [rrule('year-50', 'FREQ=DAILY', '0050-06-01T09:00'), 'dtstart', /year 50 is outside 1970-2999/],
      [{ name: 'far-run-at', task: 'ping', kind: 'one_shot', run_at: '3500-01-01T00:00:00Z' }, 'run_at', /year 3500 is outside 1970-2999/],
      [cron('far-end', { end_at: '0099-01-01T00:00:00Z' }), 'end_at', /year 99 is outside 1970-2999/],
    ])('%#: %j', async (body, path, message) => {
      const res = await create(body);
      expect(res.status).toBe(400);
      expect(res.body.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
      expect(res.body.message).toContain(`${path}: `);
    });

    it('a rule whose DTSTART is 200 days back keeps its 5-minute grid', async () => {
      const dtstart = new Date(Date.now() - 200 * 86_400_000).toISOString().slice(0, 16);
      const res = await create(rrule('every-5-min-since-spring', 'FREQ=MINUTELY;INTERVAL=5', dtstart));
      expect(res.status).toBe(201);
      const times = res.body.next_fire_times.map((t: string) => new Date(t).getTime());
      expect(times).toHaveLength(5);
      for (let i = 1; i < 5; i += 1) expect(times[i] - times[i - 1]).toBe(300_000);
    });

    it('lists a stored rule that can no longer be expanded, without its next times', async () => {
      const { body } = await create(cron('old-rule'));
      await h.db
        .updateTable('schedules')
        .set({ kind: 'rrule', cron: null, rrule: 'FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30', dtstart: '2026-01-05T09:00' })
        .where('id', '=', body.schedule_id)
        .execute();
      const list = await request(h.app).get('/api/v1/schedules?limit=200').set(as(h.keyB));
      expect(list.status).toBe(200);
      const view = list.body.schedules.find((s: { name: string }) => s.name === 'old-rule');
      expect(view.next_fire_times).toEqual([view.next_run_at]);
      expect((await request(h.app).get(`/api/v1/schedules/${body.schedule_id}`).set(as(h.keyB))).status).toBe(200);
    });
  });

  it('holds the plan over the whole rule, not its next six fires', async () => {
    // From next New Year: the 1st of January to July at midnight (the six fires a preview sees),
    // then the 1st of December twice, one second apart.
    const dtstart = `${new Date().getUTCFullYear() + 1}-01-01T00:00`;
    const irregular = {
      name: 'irregular',
      task: 'ping',
      kind: 'rrule',
      rrule: 'FREQ=YEARLY;BYMONTHDAY=1;BYHOUR=0;BYMINUTE=0;BYSECOND=0,1;BYSETPOS=1,3,5,7,9,11,13,-2,-1',
      dtstart,
    };
    const trial = await create(irregular, h.keyA);
    expect(trial.status).toBe(400);
    expect(trial.body.issues).toEqual([
      {
        path: 'rrule',
        message: expect.stringMatching(/^fires more often than the trial plan allows \(at most every 300 s\): two of its fires can be 1 s apart; .*BYSETPOS/),
      },
    ]);
    const fiftyNine = {
      ...irregular,
      name: 'fifty-nine',
      rrule: `FREQ=DAILY;BYHOUR=12;BYMINUTE=0;BYSECOND=${Array.from({ length: 59 }, (_, i) => i).join(',')}`,
    };
    expect((await create(fiftyNine, h.keyA)).body.message).toMatch(/trial plan allows \(at most every 300 s\): two of its fires can be 1 s apart/);
    expect((await create(irregular, h.keyB)).status).toBe(201);
  });

  it("answers 409 for a name taken, and 404 for another tenant's schedule", async () => {
    await create(cron('dup'));
    expect((await create(cron('dup'))).status).toBe(409);
    const mine = await create(cron('private'));
    for (const [method, path] of [
      ['get', ''],
      ['patch', ''],
      ['delete', ''],
      ['post', '/trigger'],
      ['post', '/disable'],
    ] as const) {
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
