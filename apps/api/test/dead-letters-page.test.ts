import { randomUUID } from 'node:crypto';
import { insertTask } from '@conveyor/db';
import request from 'supertest';
import { type Harness, failForGood, startHarness } from './helpers';

const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

describe('the dead-letter page at /admin/dead-letters', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h.close());

  async function deadLetter(task: 'ping' | 'test_task', message: string): Promise<string> {
    const row = await insertTask(h.db, {
      id: randomUUID(),
      tenant_id: h.tenantA,
      task,
      queue: 'monitoring',
      payload: task === 'ping' ? {} : { message: 'x' },
      max_attempts: 1,
    });
    return failForGood(h.db, row.id, message);
  }
  const page = (query = '') => request(h.app).get(`/admin/dead-letters${query}`).set('Authorization', basic(h.adminKey));
  const replay = (form: Record<string, string>, origin: string | null = 'same') => {
    const req = request(h.app).post('/admin/dead-letters/replay').set('Authorization', basic(h.adminKey)).type('form').send(form);
    req.set('Host', 'conveyor.test');
    return origin === 'same' ? req.set('Origin', 'http://conveyor.test') : origin ? req.set('Origin', origin) : req;
  };
  const status = async (id: string) => (await h.db.selectFrom('tasks').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

  it('is for admins: a Basic challenge without a key, 403 for a tenant key', async () => {
    const none = await request(h.app).get('/admin/dead-letters');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="Conveyor admin"/);
    expect((await request(h.app).get('/admin/dead-letters').set('Authorization', basic(h.keyA))).status).toBe(403);
    expect((await request(h.app).post('/admin/dead-letters/replay').set('Authorization', basic(h.keyA)).type('form').send({ all: '1' })).status).toBe(403);
  });

  it('lists dead letters with their last error, escaped', async () => {
    const id = await deadLetter('ping', '<script>alert("x")</script> & more');
    const res = await page();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain(id);
    expect(res.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(res.text).not.toContain('<script>alert');
  });

  it('replays one from its button, then says so', async () => {
    const id = await deadLetter('ping', 'replay me');
    const res = await replay({ task_id: id });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/dead-letters?replayed=1&enqueued=1');
    expect(await status(id)).toBe('PENDING');
    expect(await h.producer.queue('monitoring').getJob(id)).toBeDefined();
    const after = await page('?replayed=1&enqueued=1');
    expect(after.text).toContain('Replayed 1 task(s).');
    expect(after.text).not.toContain(id);
  });

  it('replays all of one task type, leaving the others', async () => {
    const pings = [await deadLetter('ping', 'a'), await deadLetter('ping', 'b')];
    const other = await deadLetter('test_task', 'c');
    const res = await replay({ all: '1', task: 'ping' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/replayed=\d+/);
    for (const id of pings) expect(await status(id)).toBe('PENDING');
    expect(await status(other)).toBe('FAILURE');
  });

  it("opens to an admin's console session: the page, and a replay posted from it (its Origin stands for the CSRF header)", async () => {
    const signIn = async (key: string) =>
      String((await request(h.app).post('/api/v1/auth/session').send({ api_key: key }).expect(201)).headers['set-cookie']).split(';')[0]!;
    const cookie = await signIn(h.adminKey);
    const id = await deadLetter('ping', 'by session');
    const shown = await request(h.app).get('/admin/dead-letters').set('Cookie', cookie);
    expect([shown.status, shown.text.includes(id)]).toEqual([200, true]);
    const post = (origin?: string) => {
      const req = request(h.app).post('/admin/dead-letters/replay').set('Cookie', cookie).set('Host', 'conveyor.test').type('form').send({ task_id: id });
      return origin ? req.set('Origin', origin) : req;
    };
    const foreign = await post('https://evil.example');
    expect([foreign.status, foreign.body.error]).toEqual([403, 'csrf_header_required']);
    expect([(await post()).status, await status(id)]).toEqual([403, 'FAILURE']);
    expect((await post('http://conveyor.test')).status).toBe(303);
    expect(await status(id)).toBe('PENDING');
    // A tenant's session is no admin; Basic auth with the cookie still works (the browser may hold both).
    expect(
      (
        await request(h.app)
          .get('/admin/dead-letters')
          .set('Cookie', await signIn(h.keyA))
      ).status,
    ).toBe(403);
    expect((await request(h.app).get('/admin/dead-letters').set('Cookie', cookie).set('Authorization', basic(h.adminKey))).status).toBe(200);
  });

  it('refuses a replay posted from another site or with a bad form, and changes nothing', async () => {
    const id = await deadLetter('ping', 'stay dead');
    const foreign = await replay({ task_id: id }, 'https://evil.example');
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatchObject({ error: 'cross_origin' });
    expect((await replay({ task_id: id }, null)).status).toBe(403);
    expect((await replay({ task_id: id }, null).set('Referer', 'not a url')).status).toBe(403);
    // A browser that leaves Origin out still sends the page as Referer.
    const fromPage = await replay({ task_id: 'not-a-uuid' }, null).set('Referer', 'http://conveyor.test/admin/dead-letters');
    expect(fromPage.status).toBe(400);
    const bad = await replay({ task_id: 'not-a-uuid' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/task_id/);
    expect(await status(id)).toBe('FAILURE');
  });
});
