import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createTenantWithKey, transitionPost } from '@conveyor/db';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

let h: Harness;
// Every log line the API writes, to show that a refused token never reaches them.
const logs: string[] = [];
const logStream = new PassThrough().on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
beforeAll(async () => (h = await startHarness({ logStream, xApiTier: 'basic' })));
afterAll(() => h.close());

const as = (key: string) => ({ Authorization: `Bearer ${key}` });
const create = (body: object, key = h.keyA) => request(h.app).post('/api/v1/x-accounts').set(as(key)).send(body);
const handle = () => `acct_${randomUUID().slice(0, 8)}`;
const account = (extra: object = {}) => ({ handle: handle(), api_tier: 'basic', token_secret_ref: 'env:X_TOKEN_ACME', ...extra });

describe('X accounts', () => {
  it("registers an account without a tier at the deployment's X_API_TIER", async () => {
    const created = await create({ handle: handle(), token_secret_ref: 'env:X_TOKEN_ACME' });
    expect(created.status).toBe(201);
    expect(created.body.api_tier).toBe('basic');
  });

  it('creates an account from a handle with or without @, and reads, lists, changes and deletes it', async () => {
    const name = handle();
    const created = await create(account({ handle: `@${name}` }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ handle: name, api_tier: 'basic', token_secret_ref: 'env:X_TOKEN_ACME' });
    const id = created.body.account_id as string;
    expect(created.headers.location).toBe(`/api/v1/x-accounts/${id}`);

    expect((await request(h.app).get(`/api/v1/x-accounts/${id}`).set(as(h.keyA))).body).toEqual(created.body);
    const patched = await request(h.app).patch(`/api/v1/x-accounts/${id}`).set(as(h.keyA)).send({ api_tier: 'pro', token_secret_ref: 'env:X_TOKEN_OTHER_1' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ account_id: id, handle: name, api_tier: 'pro', token_secret_ref: 'env:X_TOKEN_OTHER_1' });

    expect((await request(h.app).delete(`/api/v1/x-accounts/${id}`).set(as(h.keyA))).status).toBe(204);
    expect((await request(h.app).get(`/api/v1/x-accounts/${id}`).set(as(h.keyA))).status).toBe(404);
  });

  it('answers 409 for a handle the tenant has already, whatever its case; another tenant may have it', async () => {
    const name = handle();
    expect((await create(account({ handle: name }))).status).toBe(201);
    const again = await create(account({ handle: `@${name.toUpperCase()}` }));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'x_account_handle_taken', message: expect.stringContaining('without case') });
    expect((await create(account({ handle: name }), h.keyB)).status).toBe(201);
    // A change to a taken handle is refused the same way.
    const other = (await create(account())).body.account_id as string;
    expect((await request(h.app).patch(`/api/v1/x-accounts/${other}`).set(as(h.keyA)).send({ handle: name.toUpperCase() })).status).toBe(409);
  });

  it.each([
    [{ handle: 'way_too_long_handle' }, 'handle', /1 to 15 letters, digits or underscores/],
    [{ handle: 'has-dash' }, 'handle', /1 to 15 letters/],
    [{ handle: '@' }, 'handle', /1 to 15 letters/],
    [{ api_tier: 'gold' }, 'api_tier', /free, basic, pro, enterprise/],
    [{ token_secret_ref: 'vault:x/acme' }, 'token_secret_ref', /must be one of: env:X_TOKEN_<NAME> .*like env:X_TOKEN_ACME/],
    [{ token_secret_ref: 'env:lower_case' }, 'token_secret_ref', /env:X_TOKEN_<NAME>/],
    [{ token_secret_ref: `env:X_TOKEN_${'A'.repeat(121)}` }, 'token_secret_ref', /env:X_TOKEN_<NAME>/],
    [{ token_secret_ref: 'env:' }, 'token_secret_ref', /env:X_TOKEN_<NAME>/],
    [{ token_secret_ref: 'env:DATABASE_URL' }, 'token_secret_ref', /env:X_TOKEN_<NAME>/],
  ])('answers 400 naming the field for %j', async (change, path, message) => {
    const res = await create(account(change));
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it('refuses a body carrying a raw token, without echoing or logging it', async () => {
    const secret = `AAAAAAAAAAAAAAAAAAAAA${randomUUID()}`;
    for (const field of ['token', 'access_token', 'Bearer', 'accessToken', 'oauth_token_secret']) {
      const res = await create({ ...account(), [field]: secret });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: 'raw_token_refused',
        message: expect.stringMatching(/^send token_secret_ref, the name of the secret, never the token itself/),
      });
      expect(res.body.issues).toEqual([{ path: field, message: expect.any(String) }]);
      expect(JSON.stringify(res.body)).not.toContain(secret);
    }
    const id = (await create(account())).body.account_id as string;
    const patch = await request(h.app).patch(`/api/v1/x-accounts/${id}`).set(as(h.keyA)).send({ access_token: secret });
    expect([patch.status, patch.body.error]).toEqual([400, 'raw_token_refused']);
    expect(JSON.stringify(patch.body)).not.toContain(secret);
    // A token sent as the reference is refused too, and not repeated.
    const asRef = await create(account({ token_secret_ref: secret }));
    expect(asRef.status).toBe(400);
    expect(JSON.stringify(asRef.body)).not.toContain(secret);
    // The requests were logged (so the log is being read), the token never.
    expect(logs.join('')).toContain('/api/v1/x-accounts');
    expect(logs.join('')).not.toContain(secret);
  });

  it('pages by handle with cursor and next_cursor, and refuses a cursor it did not give out', async () => {
    const { apiKey } = await createTenantWithKey(h.db, { name: `paging-${randomUUID()}`, plan: 'growth' });
    const names = ['bravo', 'Alpha', 'charlie', 'delta', 'echo'];
    for (const name of names) expect((await create(account({ handle: name }), apiKey)).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(h.app)
        .get('/api/v1/x-accounts')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(as(apiKey));
      expect(res.status).toBe(200);
      seen.push(...res.body.x_accounts.map((a: { handle: string }) => a.handle));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['Alpha', 'bravo', 'charlie', 'delta', 'echo']);
    for (const bad of ['limit=0', 'limit=abc', 'cursor=%21%21', 'bogus=1']) {
      const res = await request(h.app).get(`/api/v1/x-accounts?${bad}`).set(as(apiKey));
      expect([bad, res.status]).toEqual([bad, 400]);
    }
  });

  it("answers 404 for another tenant's account on every route, and 400 for a malformed id", async () => {
    const id = (await create(account())).body.account_id as string;
    const routes = [
      request(h.app).get(`/api/v1/x-accounts/${id}`),
      request(h.app).patch(`/api/v1/x-accounts/${id}`).send({ api_tier: 'pro' }),
      request(h.app).delete(`/api/v1/x-accounts/${id}`),
    ];
    for (const route of routes) {
      const res = await route.set(as(h.keyB));
      expect([res.status, res.body.error]).toEqual([404, 'x_account_not_found']);
    }
    expect((await request(h.app).get(`/api/v1/x-accounts/${id}`).set(as(h.keyA))).status).toBe(200);
    const bad = await request(h.app).get('/api/v1/x-accounts/not-a-uuid').set(as(h.keyA));
    expect([bad.status, bad.body.error]).toEqual([400, 'invalid_x_account_id']);
  });

  it('refuses to delete an account with posts queued or publishing, saying how many', async () => {
    const id = (await create(account())).body.account_id as string;
    const post = async () => (await request(h.app).post('/api/v1/posts').set(as(h.keyA)).send({ account_id: id, text: 'hello' })).body.post_id as string;
    const [a, b] = [await post(), await post()];
    // Queued as the publish route or a schedule's task would leave them.
    for (const postId of [a, b]) expect((await transitionPost(h.db, { postId, to: 'queued' })).ok).toBe(true);
    const refused = await request(h.app).delete(`/api/v1/x-accounts/${id}`).set(as(h.keyA));
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/has 2 posts queued or publishing/);
    await request(h.app).post(`/api/v1/posts/${a}/cancel`).set(as(h.keyA));
    await request(h.app).post(`/api/v1/posts/${b}/cancel`).set(as(h.keyA));
    expect((await request(h.app).delete(`/api/v1/x-accounts/${id}`).set(as(h.keyA))).status).toBe(204);
    expect((await request(h.app).get(`/api/v1/posts/${a}`).set(as(h.keyA))).status).toBe(404);
  });
});
