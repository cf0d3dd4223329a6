import { AuthenticationError, Conveyor, NotFoundError, PermissionDeniedError } from '../src';
import { type ClientStack, startStack } from './support/stack';

// The client in a browser signed in to the console (session: true), against the real API as a
// process. Node's fetch keeps no cookies, so a small jar stands in for the browser's: it sends
// the cookies it was given, only when asked to with credentials: 'include', as a browser would
// across origins.

let s: ClientStack;
beforeAll(async () => {
  s = await startStack({ worker: false });
}, 300_000);
afterAll(() => s?.stop(), 30_000);

/** The real fetch with a cookie jar; records the CSRF header of each request. */
function browserFetch(): { fetch: typeof fetch; csrf: { method: string; header: string | null }[] } {
  const jar = new Map<string, string>();
  const csrf: { method: string; header: string | null }[] = [];
  const withJar: typeof fetch = async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.credentials === 'include' && jar.size > 0) headers.set('Cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    csrf.push({ method: init.method ?? 'GET', header: headers.get('x-conveyor-csrf') });
    const response = await fetch(input, { ...init, headers });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split('; ');
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
      if (attributes.includes('Max-Age=0')) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
  return { fetch: withJar, csrf };
}

describe('a console session', () => {
  it('signs in, reads and submits by the cookie (the CSRF header on changes only), then signs out', async () => {
    const key = await s.tenantKey();
    const browser = browserFetch();
    const conveyor = new Conveyor({ baseUrl: s.baseUrl, session: true, fetch: browser.fetch });
    await expect(conveyor.tasks.listPage()).rejects.toBeInstanceOf(AuthenticationError);

    const signedIn = await conveyor.auth.signIn(key);
    expect(signedIn).toEqual({ principal: expect.objectContaining({ kind: 'tenant', plan: 'starter' }), expires_at: expect.any(String) });
    expect(await conveyor.auth.session()).toEqual(signedIn);
    const submitted = await conveyor.tasks.submit('test_task', { message: 'from the console' });
    expect(submitted.created).toBe(true);
    const page = await conveyor.tasks.listPage();
    expect(page.tasks.map((t) => t.task_id)).toEqual([submitted.id]);
    const cancelled = await conveyor.tasks.cancel(submitted.id);
    expect(cancelled.status).toBe('REVOKED');
    expect(browser.csrf.filter((r) => r.method === 'GET').every((r) => r.header === null)).toBe(true);
    expect(browser.csrf.filter((r) => r.method !== 'GET').every((r) => r.header === '1')).toBe(true);

    await conveyor.auth.signOut();
    await expect(conveyor.auth.session()).rejects.toBeInstanceOf(AuthenticationError);
    await expect(conveyor.tasks.listPage()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('sends no cookie without session: true, and refuses a key and a session together, or neither', async () => {
    const key = await s.tenantKey();
    const browser = browserFetch();
    // A key client can sign a browser in (the key it is given, not its own, goes in the body).
    await new Conveyor({ baseUrl: s.baseUrl, apiKey: key, fetch: browser.fetch }).auth.signIn(key);
    await expect(new Conveyor({ baseUrl: s.baseUrl, apiKey: key, fetch: browser.fetch }).tasks.listPage()).resolves.toEqual({ tasks: [], nextCursor: null });
    expect(() => new Conveyor({ baseUrl: s.baseUrl, apiKey: key, session: true })).toThrow(TypeError);
    expect(() => new Conveyor({ baseUrl: s.baseUrl })).toThrow(/apiKey is required.*session: true/);
  });

  it('acts for a tenant as an admin (tenant option), and is refused without it', async () => {
    const { tenant_id: tenantId, api_key: tenantKey } = await s.createTenant('acted-for');
    const own = await s.client(tenantKey).tasks.submit('test_task', { message: 'mine' });
    const adminKey = await s.createAdminKey();
    const browser = browserFetch();
    const admin = new Conveyor({ baseUrl: s.baseUrl, session: true, fetch: browser.fetch });
    expect((await admin.auth.signIn(adminKey)).principal.kind).toBe('admin');
    await expect(admin.tasks.listPage()).rejects.toBeInstanceOf(PermissionDeniedError);
    const tenants = await admin.request<{ tenants: { tenant_id: string }[] }>('GET', '/admin/tenants');
    expect(tenants.tenants.map((t) => t.tenant_id)).toContain(tenantId);
    const actingAdmin = new Conveyor({ baseUrl: s.baseUrl, session: true, fetch: browser.fetch, tenant: tenantId });
    expect((await actingAdmin.tasks.listPage()).tasks.map((t) => t.task_id)).toEqual([own.id]);
    const byKey = new Conveyor({ baseUrl: s.baseUrl, apiKey: adminKey, tenant: tenantId });
    expect((await byKey.tasks.get(own.id)).task_id).toBe(own.id);
    const otherTenant = new Conveyor({ baseUrl: s.baseUrl, apiKey: adminKey, tenant: (await s.createTenant('other')).tenant_id });
    await expect(otherTenant.tasks.get(own.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
