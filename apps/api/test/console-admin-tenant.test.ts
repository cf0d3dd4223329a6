import { SYSTEM_TENANT_ID } from '@conveyor/contracts';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

// An admin (key or console session) acts for a tenant with X-Conveyor-Tenant; GET
// /admin/tenants lists the tenants it may name.

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const UNKNOWN_TENANT = '7d3c1c7e-0000-4000-8000-00000000beef';

/** The Cookie header of a new console session signed in with the key. */
async function sessionCookie(h: Harness, key: string): Promise<string> {
  const res = await request(h.app).post('/api/v1/auth/session').send({ api_key: key });
  expect(res.status).toBe(201);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

describe('admins acting for a tenant', () => {
  let h: Harness;
  let tenantB: string;
  let taskOfA: string;
  let taskOfB: string;
  const asA = () => ({ ...bearer(h.adminKey), 'X-Conveyor-Tenant': h.tenantA });
  beforeAll(async () => {
    h = await startHarness();
    tenantB = (await h.db.selectFrom('tenants').select('id').where('name', '=', 'tenant-b').executeTakeFirstOrThrow()).id;
    const submit = (key: string) =>
      request(h.app)
        .post('/api/v1/tasks')
        .set(bearer(key))
        .send({ task: 'test_task', payload: { message: 'x' } });
    taskOfA = (await submit(h.keyA)).body.task_id;
    taskOfB = (await submit(h.keyB)).body.task_id;
  });
  afterAll(() => h.close());

  it('lists every tenant but the system one for an admin, by name; 403 for a tenant key', async () => {
    const res = await request(h.app).get('/api/v1/admin/tenants').set(bearer(h.adminKey));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      tenants: [
        { tenant_id: h.tenantA, name: 'tenant-a', plan: 'trial', created_at: expect.any(String) },
        { tenant_id: tenantB, name: 'tenant-b', plan: 'growth', created_at: expect.any(String) },
      ],
    });
    expect(res.body.tenants.map((t: { tenant_id: string }) => t.tenant_id)).not.toContain(SYSTEM_TENANT_ID);
    const tenant = await request(h.app).get('/api/v1/admin/tenants').set(bearer(h.keyA));
    expect([tenant.status, tenant.body.error]).toEqual([403, 'admin_only']);
    const query = await request(h.app).get('/api/v1/admin/tenants?limit=5').set(bearer(h.adminKey));
    expect([query.status, query.body.error]).toEqual([400, 'validation_failed']);
  });

  it("reads, lists and submits as the tenant named, never another tenant's task", async () => {
    const read = await request(h.app).get(`/api/v1/tasks/${taskOfA}`).set(asA());
    expect([read.status, read.body.task_id]).toEqual([200, taskOfA]);
    expect((await request(h.app).get(`/api/v1/tasks/${taskOfB}`).set(asA())).status).toBe(404);
    const list = await request(h.app).get('/api/v1/tasks?limit=200').set(asA());
    const ids = list.body.tasks.map((t: { task_id: string }) => t.task_id);
    expect(ids).toContain(taskOfA);
    expect(ids).not.toContain(taskOfB);
    const submitted = await request(h.app)
      .post('/api/v1/tasks')
      .set(asA())
      .send({ task: 'test_task', payload: { message: 'for a' } });
    expect(submitted.status).toBe(202);
    const row = await h.db.selectFrom('tasks').select('tenant_id').where('id', '=', submitted.body.task_id).executeTakeFirstOrThrow();
    expect(row.tenant_id).toBe(h.tenantA);
    // Switching is per request: the same admin key names B next.
    const asB = await request(h.app).get(`/api/v1/tasks/${taskOfB}`).set(bearer(h.adminKey)).set('X-Conveyor-Tenant', tenantB.toUpperCase());
    expect([asB.status, asB.body.task_id]).toEqual([200, taskOfB]);
  });

  it('keeps the admin routes open to an admin acting for a tenant', async () => {
    const res = await request(h.app).get('/api/v1/admin/dead-letters').set(asA());
    expect(res.status).toBe(200);
  });

  it('without the header an admin keeps the 403 on tenant routes, with a message that names the header', async () => {
    const res = await request(h.app).get('/api/v1/tasks').set(bearer(h.adminKey));
    expect([res.status, res.body.error]).toEqual([403, 'tenant_key_required']);
    expect(res.body.message).toContain('X-Conveyor-Tenant');
  });

  it('refuses the header from a tenant (403), a malformed id (400), an unknown or the system tenant (404)', async () => {
    const fromTenant = await request(h.app).get('/api/v1/tasks').set(bearer(h.keyA)).set('X-Conveyor-Tenant', tenantB);
    expect([fromTenant.status, fromTenant.body.error]).toEqual([403, 'tenant_header_admin_only']);
    const ownTenant = await request(h.app).get('/api/v1/tasks').set(bearer(h.keyA)).set('X-Conveyor-Tenant', h.tenantA);
    expect(ownTenant.status).toBe(403);
    for (const bad of ['nope', '', `${h.tenantA}x`, "1' or '1'='1"]) {
      const res = await request(h.app).get('/api/v1/tasks').set(bearer(h.adminKey)).set('X-Conveyor-Tenant', bad);
      expect([bad, res.status, res.body.error]).toEqual([bad, 400, 'invalid_tenant_header']);
    }
    for (const missing of [UNKNOWN_TENANT, SYSTEM_TENANT_ID]) {
      const res = await request(h.app).get('/api/v1/tasks').set(bearer(h.adminKey)).set('X-Conveyor-Tenant', missing);
      expect([res.status, res.body.error]).toEqual([404, 'tenant_not_found']);
    }
    // A refused header never reaches the body: a POST is refused the same way.
    const post = await request(h.app).post('/api/v1/tasks').set(bearer(h.keyA)).set('X-Conveyor-Tenant', tenantB).send('{not json');
    expect(post.status).toBe(403);
  });

  it('works the same from an admin console session', async () => {
    const cookie = await sessionCookie(h, h.adminKey);
    const read = await request(h.app).get(`/api/v1/tasks/${taskOfA}`).set('Cookie', cookie).set('X-Conveyor-Tenant', h.tenantA);
    expect([read.status, read.body.task_id]).toEqual([200, taskOfA]);
    const cancel = await request(h.app)
      .post(`/api/v1/tasks/${taskOfB}/cancel`)
      .set('Cookie', cookie)
      .set('X-Conveyor-Tenant', h.tenantA)
      .set('X-Conveyor-CSRF', '1');
    expect(cancel.status).toBe(404);
    const session = await request(h.app).get('/api/v1/auth/session').set('Cookie', cookie).set('X-Conveyor-Tenant', h.tenantA);
    expect(session.body.principal).toEqual({ kind: 'admin', tenant_id: null, tenant_name: null, plan: null });
    // A tenant's session may not name another tenant.
    const tenantCookie = await sessionCookie(h, h.keyA);
    const refused = await request(h.app).get(`/api/v1/tasks/${taskOfB}`).set('Cookie', tenantCookie).set('X-Conveyor-Tenant', tenantB);
    expect([refused.status, refused.body.error]).toEqual([403, 'tenant_header_admin_only']);
  });
});
