import { randomUUID } from 'node:crypto';
import { appendExchange, createTenantWithKey } from '@conveyor/db';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';
import { as, newSession, uploaded } from './session-fixtures';

// Dataset sessions: create, list, read, delete, their chat history, and the same answers as
// every object of a tenant: another tenant's session is a 404 on every route.

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

type Call = (path: string) => request.Test;
const call = (method: string, path: string) => (request(h.app) as unknown as Record<string, Call>)[method]!(path);

describe('sessions', () => {
  it('are created with a name and shown without data yet', async () => {
    const res = await request(h.app).post('/api/v1/sessions').set(as(h.keyA)).send({ name: '  Q3 leads  ' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      session_id: expect.any(String),
      name: 'Q3 leads',
      head_node_id: null,
      active_task_id: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(res.headers.location).toBe(`/api/v1/sessions/${res.body.session_id}`);
    expect((await request(h.app).get(`/api/v1/sessions/${res.body.session_id}`).set(as(h.keyA))).body).toEqual(res.body);
  });

  it.each([[{}], [{ name: '' }], [{ name: '   ' }], [{ name: 'x'.repeat(201) }], [{ name: 'ok', extra: 1 }], [{ name: 5 }], [[]]])(
    'refuses %j with 400',
    async (body) => {
      const res = await request(h.app).post('/api/v1/sessions').set(as(h.keyA)).send(body);
      expect([res.status, res.body.error]).toEqual([400, 'validation_failed']);
    },
  );

  it('are listed newest first, a page at a time, each tenant its own', async () => {
    const { apiKey: key } = await createTenantWithKey(h.db, { name: `sessions-${randomUUID()}`, plan: 'growth' });
    for (const name of ['b-0', 'b-1', 'b-2', 'b-3']) await newSession(h, key, name);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(h.app)
        .get('/api/v1/sessions')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(as(key));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['next_cursor', 'sessions']);
      seen.push(...res.body.sessions.map((s: { name: string }) => s.name));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['b-3', 'b-2', 'b-1', 'b-0']);
    const mine = await request(h.app).get('/api/v1/sessions?limit=200').set(as(h.keyA));
    expect(mine.body.sessions.map((s: { name: string }) => s.name)).not.toContain('b-1');
  });

  it('answer 400 for a cursor this API did not give out, and for a bad limit', async () => {
    for (const query of [
      'cursor=abc',
      `cursor=${Buffer.from('2024-02-30T00:00:00.000000Z|x').toString('base64url')}`,
      'limit=0',
      'limit=201',
      'limit=x',
      'page=1',
    ]) {
      const res = await request(h.app).get(`/api/v1/sessions?${query}`).set(as(h.keyA));
      expect([query, res.status]).toEqual([query, 400]);
    }
  });

  it('are deleted with their chat and data, once', async () => {
    const session = await newSession(h);
    await uploaded(h, session, 'a\n1\n');
    await appendExchange(h.db, { conversationId: session, taskId: randomUUID(), message: 'hi', reply: 'hello' });
    expect((await request(h.app).delete(`/api/v1/sessions/${session}`).set(as(h.keyA))).status).toBe(204);
    expect((await request(h.app).get(`/api/v1/sessions/${session}`).set(as(h.keyA))).status).toBe(404);
    expect((await request(h.app).delete(`/api/v1/sessions/${session}`).set(as(h.keyA))).status).toBe(404);
    expect(await h.db.selectFrom('dataset_nodes').select('id').where('session_id', '=', session).execute()).toEqual([]);
    expect(await h.db.selectFrom('chat_messages').select('id').where('conversation_id', '=', session).execute()).toEqual([]);
  });
});

describe("a session's chat history", () => {
  it('is listed oldest first, a page at a time, with who said what for which task', async () => {
    const session = await newSession(h);
    const tasks = [randomUUID(), randomUUID()];
    for (const [i, taskId] of tasks.entries()) await appendExchange(h.db, { conversationId: session, taskId, message: `ask ${i}`, reply: `answer ${i}` });
    const first = await request(h.app).get(`/api/v1/sessions/${session}/messages?limit=3`).set(as(h.keyA));
    expect(first.status).toBe(200);
    expect(first.body.messages).toEqual([
      { role: 'user', content: 'ask 0', task_id: tasks[0], created_at: expect.any(String) },
      { role: 'assistant', content: 'answer 0', task_id: tasks[0], created_at: expect.any(String) },
      { role: 'user', content: 'ask 1', task_id: tasks[1], created_at: expect.any(String) },
    ]);
    const rest = await request(h.app).get(`/api/v1/sessions/${session}/messages`).query({ limit: 3, cursor: first.body.next_cursor }).set(as(h.keyA));
    expect(rest.body).toEqual({ messages: [{ role: 'assistant', content: 'answer 1', task_id: tasks[1], created_at: expect.any(String) }], next_cursor: null });
    const empty = await request(h.app)
      .get(`/api/v1/sessions/${await newSession(h)}/messages`)
      .set(as(h.keyA));
    expect(empty.body).toEqual({ messages: [], next_cursor: null });
  });

  it("answers 400 for a cursor it did not give out (another listing's included)", async () => {
    const session = await newSession(h);
    const sessionsCursor = (await request(h.app).get('/api/v1/sessions?limit=1').set(as(h.keyA))).body.next_cursor as string;
    for (const cursor of ['abc', sessionsCursor, Buffer.from('0').toString('base64url'), Buffer.from('1'.repeat(30)).toString('base64url')]) {
      const res = await request(h.app).get(`/api/v1/sessions/${session}/messages`).query({ cursor }).set(as(h.keyA));
      expect([cursor, res.status, res.body.error]).toEqual([cursor, 400, 'invalid_cursor']);
    }
  });
});

describe('every session route', () => {
  const routes = (session: string, node: string): [string, string, object?][] => [
    ['get', `/api/v1/sessions/${session}`],
    ['delete', `/api/v1/sessions/${session}`],
    ['post', `/api/v1/sessions/${session}/datasets`],
    ['get', `/api/v1/sessions/${session}/nodes`],
    ['get', `/api/v1/sessions/${session}/nodes/${node}`],
    ['get', `/api/v1/sessions/${session}/nodes/${node}/rows`],
    ['post', `/api/v1/sessions/${session}/head`, { node_id: node }],
    ['post', `/api/v1/sessions/${session}/chat`, { message: 'drop empty rows' }],
    ['get', `/api/v1/sessions/${session}/messages`],
  ];

  it("answers 404 for another tenant's session, and changes nothing of it", async () => {
    const session = await newSession(h);
    const node = (await uploaded(h, session, 'a\n1\n')).node_id;
    for (const [method, path, body] of routes(session, node)) {
      const req = call(method, path).set(as(h.keyB));
      const res = await (path.endsWith('/datasets') ? req.set('Content-Type', 'text/csv').send('a\n2\n') : req.send(body));
      expect([method, path, res.status, res.body.error]).toEqual([method, path, 404, 'session_not_found']);
    }
    const after = await request(h.app).get(`/api/v1/sessions/${session}`).set(as(h.keyA));
    expect(after.body).toMatchObject({ head_node_id: node, active_task_id: null });
    expect((await request(h.app).get(`/api/v1/sessions/${session}/nodes`).set(as(h.keyA))).body.nodes).toHaveLength(1);
  });

  it('answers 400 for a malformed session id and 404 for an unknown one', async () => {
    for (const id of ['x', '%00', "'or'1'='1", 'a'.repeat(3000), '00000000-0000-0000-0000-00000000000g']) {
      for (const [method, path, body] of routes(id, randomUUID())) {
        const res = await call(method, path).set(as(h.keyA)).send(body);
        expect([method, path.slice(0, 60), res.status, res.body.error]).toEqual([method, path.slice(0, 60), 400, 'invalid_session_id']);
      }
    }
    for (const [method, path, body] of routes(randomUUID(), randomUUID())) {
      const res = await call(method, path).set(as(h.keyA)).send(body);
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
  });

  it('answers 403 to an admin key, which acts for no tenant, and 405 with Allow to another method', async () => {
    const admin = await request(h.app).post('/api/v1/sessions').set(as(h.adminKey)).send({ name: 'x' });
    expect([admin.status, admin.body.error]).toEqual([403, 'tenant_key_required']);
    const put = await request(h.app).put(`/api/v1/sessions/${randomUUID()}`).set(as(h.keyA)).send({});
    expect([put.status, put.headers.allow]).toEqual([405, 'DELETE, GET, HEAD']);
    const getChat = await request(h.app).get(`/api/v1/sessions/${randomUUID()}/chat`).set(as(h.keyA));
    expect([getChat.status, getChat.headers.allow]).toEqual([405, 'POST']);
  });

  it('answers 401 without a key', async () => {
    for (const [method, path, body] of routes(randomUUID(), randomUUID())) {
      const res = await call(method, path).send(body);
      expect([method, path, res.status]).toEqual([method, path, 401]);
    }
  });
});
