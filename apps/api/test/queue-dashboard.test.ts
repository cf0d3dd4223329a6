import { QUEUE_NAMES } from '@conveyor/contracts';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

describe('the queue dashboard at /admin/queues', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h.close());

  it('asks a browser for the admin key (401 with a Basic challenge) and refuses a wrong one', async () => {
    const none = await request(h.app).get('/admin/queues');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="Conveyor admin"/);
    expect(none.text).not.toMatch(/<html/i);
    expect((await request(h.app).get('/admin/queues').set('Authorization', basic('wrong-key'))).status).toBe(401);
    expect((await request(h.app).get('/admin/queues/api/queues').set('Authorization', basic(''))).status).toBe(401);
  });

  it('refuses a tenant key with 403, in the page and in its JSON API', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await request(h.app).get(path).set('Authorization', basic(h.keyA));
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: 'admin_only' });
    }
  });

  it('shows every queue and its jobs to an admin key, by Basic auth or Bearer', async () => {
    const page = await request(h.app).get('/admin/queues').set('Authorization', basic(h.adminKey));
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<html/i);
    // The page's own script loads too (a browser resends the Basic credentials for it).
    const base = /<base href="([^"]+)"/.exec(page.text)?.[1] ?? '/admin/queues/';
    const script = new URL(/<script[^>]+src="([^"]+)"/.exec(page.text)![1]!, `http://api${base}`).pathname;
    expect(script).toMatch(/^\/admin\/queues\/static\//);
    expect((await request(h.app).get(script).set('Authorization', basic(h.adminKey))).status).toBe(200);
    expect((await request(h.app).get(script)).status).toBe(401);
    const submitted = await request(h.app).post('/api/v1/tasks').set('Authorization', `Bearer ${h.keyA}`).send({ task: 'ping', delay_ms: 60_000 });
    expect(submitted.status).toBe(202);
    const api = await request(h.app).get('/admin/queues/api/queues?activeQueue=monitoring&status=delayed').set('Authorization', `Bearer ${h.adminKey}`);
    expect(api.status).toBe(200);
    expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
    const monitoring = api.body.queues.find((q: { name: string }) => q.name === 'monitoring');
    expect(monitoring.readOnlyMode).toBe(true);
    expect(monitoring.counts.delayed).toBe(1);
    // A job holds the task id only: the dashboard shows no payload.
    expect(monitoring.jobs.map((j: { id: string; data: unknown }) => [j.id, j.data])).toEqual([[submitted.body.task_id, { task_id: submitted.body.task_id }]]);
  });

  it('is read-only: actions go through the API, which writes Postgres first', async () => {
    const res = await request(h.app).put('/admin/queues/api/queues/monitoring/retry/failed').set('Authorization', `Bearer ${h.adminKey}`);
    expect(res.status).toBe(405);
  });
});
