import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

// Inputs a client can send on purpose or by accident: each gets a 4xx that says what to
// change, never a 500, and nothing reads a body before the key is checked.

let h: Harness;
let server: Server;
let base: string;
beforeAll(async () => {
  h = await startHarness();
  server = h.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await h.close();
});

/** Sends these exact bytes (supertest would re-encode a Buffer as JSON). */
async function postBytes(bytes: Buffer, contentType: string) {
  const res = await fetch(`${base}/api/v1/tasks`, { method: 'POST', body: bytes, headers: { ...auth(h.keyA), 'Content-Type': contentType } });
  return { status: res.status, body: (await res.json()) as { error: string; message: string } };
}

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const postRaw = (body: string, headers: Record<string, string> = auth(h.keyA)) =>
  request(h.app)
    .post('/api/v1/tasks')
    .set({ 'Content-Type': 'application/json', ...headers })
    .send(body);
const taskCount = async () =>
  Number(
    (
      await h.db
        .selectFrom('tasks')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('deeply nested bodies', () => {
  it('answers 400 for an array nested 99,000 levels and a payload nested 20,000, before anything recursive reads them', async () => {
    const before = await taskCount();
    // 198,000 bytes: within this harness's batch limit.
    const array = await request(h.app)
      .post('/api/v1/tasks/batch')
      .set({ 'Content-Type': 'application/json', ...auth(h.keyA) })
      .send(`${'['.repeat(99_000)}${']'.repeat(99_000)}`);
    expect(array.status).toBe(400);
    expect(array.body).toMatchObject({ error: 'body_too_deep', message: expect.stringMatching(/deeper than 64 levels/) });

    const payload = `{"tasks":[{"task":"test_task","payload":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}]}`;
    const nested = await request(h.app)
      .post('/api/v1/tasks/batch')
      .set({ 'Content-Type': 'application/json', ...auth(h.keyA) })
      .send(payload);
    expect(nested.status).toBe(400);
    expect(nested.body.error).toBe('body_too_deep');
    expect(await taskCount()).toBe(before);
  });

  it('still takes 64 levels, and counts brackets inside strings as text', async () => {
    const deep = `${'{"a":'.repeat(62)}"[[[[{{{{"${'}'.repeat(62)}`;
    const res = await postRaw(`{"task":"ping","payload":{"nested":${deep}}}`);
    // ping takes no such field: the body got past the depth check to the task's own schema.
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
  });

  it('answers 401, not 400 or 413, when the same bodies come without a key: they are never read', async () => {
    const deep = await postRaw(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, {});
    expect(deep.status).toBe(401);
    const malformed = await postRaw('{not json', {});
    expect(malformed.status).toBe(401);
    const huge = await request(h.app).post('/api/v1/tasks/batch').set('Content-Type', 'application/json').send(Buffer.alloc(500_000, 0x20));
    expect(huge.status).toBe(401);
    const unknownKey = await postRaw('{not json', auth('cvk_unknown'));
    expect(unknownKey.status).toBe(401);
  });
});

describe('keys that reach a prototype', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('refuses "%s" anywhere in a body with a 400 naming where it is', async (key) => {
    const before = await taskCount();
    const top = await postRaw(`{"task":"test_task","payload":{"message":"hi","${key}":{"x":1}}}`);
    expect(top.status).toBe(400);
    expect(top.body).toMatchObject({ error: 'forbidden_key', issues: [{ path: `payload.${key}`, message: expect.stringMatching(/not allowed/) }] });
    const deep = await postRaw(`{"task":"test_task","payload":{"message":"hi","list":[{"ok":true},{"${key}":1}]}}`);
    expect(deep.status).toBe(400);
    expect(deep.body.issues[0].path).toBe(`payload.list.1.${key}`);
    expect(await taskCount()).toBe(before);
  });

  it('takes the same words as values', async () => {
    const res = await postRaw('{"task":"test_task","payload":{"message":"__proto__ constructor prototype"}}');
    expect(res.status).toBe(202);
  });
});

describe('bytes that are not UTF-8', () => {
  it('answers 400 for invalid UTF-8 instead of storing U+FFFD', async () => {
    const before = await taskCount();
    const body = Buffer.concat([Buffer.from('{"task":"test_task","payload":{"message":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    const res = await postBytes(body, 'application/json');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_utf8', message: expect.stringMatching(/UTF-8/) });
    expect(await taskCount()).toBe(before);
  });

  it('answers 415 for a body declared in another charset', async () => {
    const res = await postBytes(Buffer.from('{"task":"ping"}', 'utf16le'), 'application/json; charset=utf-16le');
    expect(res.status).toBe(415);
  });
});

describe('forged cursors', () => {
  const forge = (text: string) => Buffer.from(text).toString('base64url');
  const forged = [
    forge(`2026-01-01T00:00:00.000000Z|${'-'.repeat(36)}`),
    forge(`2026-13-45T25:61:61.000000Z|${randomUUID()}`),
    forge(`2026-02-30T00:00:00.000000Z|${randomUUID()}`),
    'not-base64-at-all!!',
  ];

  it.each(forged)('GET /tasks answers 400 for the cursor %s', async (cursor) => {
    const res = await request(h.app).get('/api/v1/tasks').query({ cursor }).set(auth(h.keyA));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_cursor', issues: [{ path: 'query.cursor' }] });
  });

  it.each(forged)('the admin dead-letter list answers 400 for the cursor %s', async (cursor) => {
    const res = await request(h.app).get('/api/v1/admin/dead-letters').query({ cursor }).set(auth(h.adminKey));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_cursor');
  });

  it('GET /schedules answers 400 for a cursor it did not give out', async () => {
    const res = await request(h.app).get('/api/v1/schedules').query({ cursor: '%%%' }).set(auth(h.keyA));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_cursor');
  });
});
