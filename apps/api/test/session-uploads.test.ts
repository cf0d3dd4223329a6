import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { waitFor } from '@conveyor/testkit';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';
import { as, newSession, openTransactions, peopleCsv, rawPost, storedNodes, upload, uploaded, listening } from './session-fixtures';

// Uploading a dataset to a session (CSV, JSON Lines), reading its rows, and moving the head
// among its versions. Tenant A is on the trial plan, whose upload limit this file sets to 64 KB.

const TRIAL_LIMIT = 64 * 1024;
let h: Harness;
let server: Server;
let base: string;
beforeAll(async () => {
  h = await startHarness({ uploadLimits: { trial: TRIAL_LIMIT } });
  ({ server, base } = await listening(h));
});
afterAll(async () => {
  server.close();
  await h.close();
});

const headOf = async (sessionId: string, key = h.keyA) => (await request(h.app).get(`/api/v1/sessions/${sessionId}`).set(as(key))).body.head_node_id;
const rowsOf = (sessionId: string, nodeId: string, query: string, key = h.keyA) =>
  request(h.app).get(`/api/v1/sessions/${sessionId}/nodes/${nodeId}/rows?${query}`).set(as(key));

describe('uploading a CSV', () => {
  const CSV = ['id,name,age,score,active', '1,Ann,34,1.5,true', '2,,41,2,false', '3,Cid,,3.25,', '4,Dee,29,,TRUE', ''].join('\n');

  it('stores it as the session’s first version, with inferred types and missing values counted, and moves the head to it', async () => {
    const session = await newSession(h);
    const res = await upload(h, session, CSV, { filename: 'people.csv' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      node_id: expect.any(String),
      session_id: session,
      parent_id: null,
      row_count: 4,
      columns: [
        { name: 'id', type: 'integer', null_count: 0 },
        { name: 'name', type: 'string', null_count: 1 },
        { name: 'age', type: 'integer', null_count: 1 },
        { name: 'score', type: 'number', null_count: 1 },
        { name: 'active', type: 'boolean', null_count: 1 },
      ],
      transformation: 'Uploaded people.csv (4 rows, 5 columns)',
      rows_affected: 4,
      program: null,
      task_id: null,
      is_head: true,
      created_at: expect.any(String),
    });
    expect(res.headers.location).toBe(`/api/v1/sessions/${session}/nodes/${res.body.node_id}`);
    expect(await headOf(session)).toBe(res.body.node_id);
    const stored = await h.db.selectFrom('dataset_nodes').select('source').where('id', '=', res.body.node_id).executeTakeFirstOrThrow();
    expect(stored.source).toEqual({ format: 'csv', filename: 'people.csv', bytes: Buffer.byteLength(CSV) });

    const rows = await rowsOf(session, res.body.node_id, '');
    expect(rows.status).toBe(200);
    expect(rows.body).toEqual({
      node_id: res.body.node_id,
      offset: 0,
      limit: 100,
      total_rows: 4,
      columns: res.body.columns,
      rows: [
        { id: 1, name: 'Ann', age: 34, score: 1.5, active: true },
        { id: 2, name: null, age: 41, score: 2, active: false },
        { id: 3, name: 'Cid', age: null, score: 3.25, active: null },
        { id: 4, name: 'Dee', age: 29, score: null, active: true },
      ],
    });
    expect(Object.keys(rows.body.rows[0])).toEqual(['id', 'name', 'age', 'score', 'active']);

    const metrics = (await request(h.app).get('/metrics')).text;
    expect(metrics).toMatch(/conveyor_dataset_versions_total\{[^}]*origin="upload"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/conveyor_dataset_upload_bytes_total\{[^}]*\} [1-9]/);
  });

  it('describes an upload without a filename by its format, and takes a charset of UTF-8', async () => {
    const session = await newSession(h);
    const res = await upload(h, session, 'only\nx\n', { type: 'text/csv; charset=UTF-8' });
    expect(res.status).toBe(201);
    expect(res.body.transformation).toBe('Uploaded a CSV file (1 row, 1 column)');
  });

  it.each([
    ['an unterminated quote', 'id,name\n1,Ann\n2,"Bo\n3,Cid\n', /^line 3: a quoted value is never closed/],
    ['a ragged row', 'id,name\n1,Ann\n2,Bo,extra\n', /^line 3 has 3 values but the header names 2 columns/],
    ['an empty file', '', /the file is empty/],
  ])('answers 400 naming the line for %s, and stores nothing', async (_what, body, message) => {
    const session = await newSession(h);
    const res = await upload(h, session, body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_dataset', message: expect.stringMatching(message) });
    expect(res.body.message).toMatch(/nothing was stored$/);
    expect(await storedNodes(h, session)).toBe(0);
    expect(await headOf(session)).toBeNull();
  });
});

describe('uploading JSON Lines', () => {
  const JSONL = ['{"id":1,"tags":["a"],"city":"Oslo"}', '{"id":2,"city":null,"extra":true}', '', '{"id":3}'].join('\n');

  it.each(['application/x-ndjson', 'application/jsonl'])('reads %s: columns in the order first seen, json for arrays, missing keys counted', async (type) => {
    const session = await newSession(h);
    const res = await upload(h, session, JSONL, { type, filename: 'events.jsonl' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      row_count: 3,
      transformation: 'Uploaded events.jsonl (3 rows, 4 columns)',
      columns: [
        { name: 'id', type: 'integer', null_count: 0 },
        { name: 'tags', type: 'json', null_count: 2 },
        { name: 'city', type: 'string', null_count: 2 },
        { name: 'extra', type: 'boolean', null_count: 2 },
      ],
    });
    const rows = await rowsOf(session, res.body.node_id, 'limit=2');
    expect(rows.body.rows).toEqual([
      { id: 1, tags: ['a'], city: 'Oslo', extra: null },
      { id: 2, tags: null, city: null, extra: true },
    ]);
  });

  it("is read by the upload alone: a body over the JSON parser's limit (10,000 bytes here) is taken whole", async () => {
    const session = await newSession(h);
    const body = Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: i, note: `row ${i}` })).join('\n');
    expect(Buffer.byteLength(body)).toBeGreaterThan(10_000);
    const node = await uploaded(h, session, body, { type: 'application/jsonl' });
    expect(node.row_count).toBe(500);
  });

  it('answers 400 naming the line that is not an object, and stores nothing', async () => {
    const session = await newSession(h);
    const res = await upload(h, session, '{"id":1}\n[1,2]\n', { type: 'application/x-ndjson' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^line 2 is an array, not a JSON object/);
    expect(await storedNodes(h, session)).toBe(0);
  });
});

describe('what an upload must be sent as', () => {
  it.each([
    ['application/json', '{"id":1}'],
    ['text/plain', 'id\n1\n'],
    ['multipart/form-data; boundary=x', '--x--'],
    ['constructor', 'id\n1\n'],
  ])('answers 400 to Content-Type %s, saying which to send', async (type, body) => {
    const session = await newSession(h);
    const res = await upload(h, session, body, { type });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: 'unsupported_content_type',
      message: expect.stringMatching(/text\/csv.*application\/x-ndjson or application\/jsonl/),
    });
    expect(await storedNodes(h, session)).toBe(0);
  });

  it('answers 400 to a body without a Content-Type, in another charset, or compressed', async () => {
    const session = await newSession(h);
    const none = await rawPost(base, `/api/v1/sessions/${session}/datasets`, { headers: as(h.keyA), pieces: ['id\n1\n'], end: true }).answer;
    expect([none.status, none.body.error]).toEqual([400, 'unsupported_content_type']);
    const latin1 = await upload(h, session, 'id\n1\n', { type: 'text/csv; charset=iso-8859-1' });
    expect([latin1.status, latin1.body.error]).toEqual([400, 'unsupported_charset']);
    const gzip = await request(h.app)
      .post(`/api/v1/sessions/${session}/datasets`)
      .set({ ...as(h.keyA), 'Content-Type': 'text/csv', 'Content-Encoding': 'gzip' })
      .send('id\n1\n');
    expect([gzip.status, gzip.body.error]).toEqual([400, 'unsupported_encoding']);
    expect(await storedNodes(h, session)).toBe(0);
  });

  it('answers 401 to a request without a key before reading its body', async () => {
    const session = await newSession(h);
    // The body is announced and never sent: the answer cannot have waited for it.
    const { answer } = rawPost(base, `/api/v1/sessions/${session}/datasets`, { headers: { 'Content-Type': 'text/csv', 'Content-Length': '1000000' } });
    const res = await answer;
    expect([res.status, res.body.error]).toEqual([401, 'unauthorized']);
  });

  it('answers 400 for an unknown query parameter or an empty filename', async () => {
    const session = await newSession(h);
    const unknown = await request(h.app)
      .post(`/api/v1/sessions/${session}/datasets?name=x`)
      .set({ ...as(h.keyA), 'Content-Type': 'text/csv' })
      .send('id\n1\n');
    expect([unknown.status, unknown.body.issues[0].path]).toEqual([400, 'query.name']);
    const empty = await upload(h, session, 'id\n1\n', { filename: ' ' });
    expect([empty.status, empty.body.issues[0].path]).toEqual([400, 'query.filename']);
  });
});

describe("the plan's upload limit", () => {
  it('refuses a Content-Length over it at once with 413, before any of the body arrives', async () => {
    const session = await newSession(h);
    const { answer } = rawPost(base, `/api/v1/sessions/${session}/datasets`, {
      headers: { ...as(h.keyA), 'Content-Type': 'text/csv', 'Content-Length': String(TRIAL_LIMIT + 1) },
    });
    const res = await answer;
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'payload_too_large', message: expect.stringMatching(/larger than your plan's limit of 0\.063 MB/) });
    expect(res.headers.connection).toBe('close');
    expect(await storedNodes(h, session)).toBe(0);
  });

  it('cuts a chunked body off once it passes the limit, with 413, and stores nothing', async () => {
    const session = await newSession(h);
    // Whole lines in every piece, so that the only thing wrong with the body is its size.
    const block = Buffer.from(Array.from({ length: 1000 }, (_, i) => `${i},person ${i}\n`).join(''));
    const pieces = [Buffer.from('id,name\n'), ...Array.from({ length: 6 }, () => block)];
    expect(pieces.reduce((sum, p) => sum + p.length, 0)).toBeGreaterThan(TRIAL_LIMIT);
    // The body is never ended: the 413 comes while it is still arriving.
    const res = await rawPost(base, `/api/v1/sessions/${session}/datasets`, { headers: { ...as(h.keyA), 'Content-Type': 'text/csv' }, pieces }).answer;
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/larger than your plan's limit of 0\.063 MB; nothing was stored/);
    expect(await storedNodes(h, session)).toBe(0);
    expect(await headOf(session)).toBeNull();
  });

  it("takes the same file under another plan's larger limit", async () => {
    const session = await newSession(h, h.keyB);
    const csv = peopleCsv(8000);
    expect(Buffer.byteLength(csv)).toBeGreaterThan(TRIAL_LIMIT);
    const node = await uploaded(h, session, csv, { key: h.keyB });
    expect(node.row_count).toBe(8000);
    expect(node.columns).toEqual([
      { name: 'id', type: 'integer', null_count: 0 },
      { name: 'name', type: 'string', null_count: 800 },
    ]);
  });
});

describe('uploads in progress', () => {
  it('store nothing when the client goes away mid-upload', async () => {
    const session = await newSession(h);
    const { request: req, answer } = rawPost(base, `/api/v1/sessions/${session}/datasets`, {
      headers: { ...as(h.keyA), 'Content-Type': 'text/csv' },
      pieces: [peopleCsv(1500)],
    });
    answer.catch(() => undefined);
    await waitFor(async () => ((await openTransactions(h)) > 0 ? true : undefined), 'the upload to start writing');
    req.destroy();
    await waitFor(async () => ((await openTransactions(h)) === 0 ? true : undefined), 'the upload to roll back');
    expect(await storedNodes(h, session)).toBe(0);
    // Its slot is free again.
    expect((await upload(h, session, 'id\n1\n')).status).toBe(201);
  });

  it('are two per tenant at most: a third gets 429 with Retry-After until one ends', async () => {
    const sessions = [await newSession(h, h.keyB), await newSession(h, h.keyB), await newSession(h, h.keyB)];
    const open = sessions
      .slice(0, 2)
      .map((session) =>
        rawPost(base, `/api/v1/sessions/${session}/datasets`, { headers: { ...as(h.keyB), 'Content-Type': 'text/csv' }, pieces: ['id,name\n1,a\n'] }),
      );
    for (const { answer } of open) answer.catch(() => undefined);
    await waitFor(async () => ((await openTransactions(h)) >= 2 ? true : undefined), 'two uploads to be streaming');
    const third = await upload(h, sessions[2]!, 'id\n1\n', { key: h.keyB });
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBe('7');
    expect(third.body.message).toMatch(/this tenant already has 2 upload\(s\) in progress/);
    // Another tenant uploads meanwhile.
    expect((await upload(h, await newSession(h), 'id\n1\n')).status).toBe(201);

    open[0]!.request.end();
    expect((await open[0]!.answer).status).toBe(201);
    expect((await upload(h, sessions[2]!, 'id\n1\n', { key: h.keyB })).status).toBe(201);
    open[1]!.request.destroy();
    await waitFor(async () => ((await openTransactions(h)) === 0 ? true : undefined), 'the cut upload to roll back');
    expect(await storedNodes(h, sessions[1]!)).toBe(0);
  });
});

describe("a session's versions", () => {
  it('serve their rows a page at a time, across a chunk boundary and past the end', async () => {
    const session = await newSession(h, h.keyB);
    const node = await uploaded(h, session, peopleCsv(2500), { key: h.keyB });
    const page = await rowsOf(session, node.node_id, 'offset=995&limit=10', h.keyB);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ offset: 995, limit: 10, total_rows: 2500 });
    expect(page.body.rows.map((r: { id: number }) => r.id)).toEqual([996, 997, 998, 999, 1000, 1001, 1002, 1003, 1004, 1005]);
    expect(page.body.rows[4]).toEqual({ id: 1000, name: null });
    expect(page.body.rows[5]).toEqual({ id: 1001, name: 'person 1001' });

    const whole = await rowsOf(session, node.node_id, 'offset=999&limit=1000', h.keyB);
    expect(whole.body.rows.map((r: { id: number }) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => 1000 + i));
    const tail = await rowsOf(session, node.node_id, 'offset=2495&limit=100', h.keyB);
    expect(tail.body.rows.map((r: { id: number }) => r.id)).toEqual([2496, 2497, 2498, 2499, 2500]);
    for (const offset of [2500, 2501, 9_007_199_254_740_991]) {
      const past = await rowsOf(session, node.node_id, `offset=${offset}`, h.keyB);
      expect([offset, past.status, past.body.rows]).toEqual([offset, 200, []]);
    }
    for (const query of ['limit=0', 'limit=1001', 'offset=-1', 'offset=1.5', 'offset=9007199254740992', 'limit=x', 'page=2']) {
      const bad = await rowsOf(session, node.node_id, query, h.keyB);
      expect([query, bad.status, bad.body.issues?.[0]?.path]).toEqual([query, 400, `query.${query.split('=')[0]}`]);
    }
  });

  it('are listed oldest first, a page at a time, and the head moves back and forth among them', async () => {
    const session = await newSession(h);
    const first = await uploaded(h, session, 'v\n1\n');
    const second = await uploaded(h, session, 'v\n2\n');
    const third = await uploaded(h, session, 'v\n3\n');
    expect(await headOf(session)).toBe(third.node_id);

    const page = await request(h.app).get(`/api/v1/sessions/${session}/nodes?limit=2`).set(as(h.keyA));
    expect(page.body.nodes.map((n: { node_id: string; is_head: boolean }) => [n.node_id, n.is_head])).toEqual([
      [first.node_id, false],
      [second.node_id, false],
    ]);
    const rest = await request(h.app).get(`/api/v1/sessions/${session}/nodes`).query({ limit: 2, cursor: page.body.next_cursor }).set(as(h.keyA));
    expect(rest.body.nodes.map((n: { node_id: string; is_head: boolean }) => [n.node_id, n.is_head])).toEqual([[third.node_id, true]]);
    expect(rest.body.next_cursor).toBeNull();

    const back = await request(h.app).post(`/api/v1/sessions/${session}/head`).set(as(h.keyA)).send({ node_id: first.node_id });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ session_id: session, head_node_id: first.node_id });
    const shown = await request(h.app).get(`/api/v1/sessions/${session}/nodes/${first.node_id}`).set(as(h.keyA));
    expect(shown.body).toMatchObject({ node_id: first.node_id, is_head: true, row_count: 1 });
    expect((await request(h.app).get(`/api/v1/sessions/${session}/nodes/${third.node_id}`).set(as(h.keyA))).body.is_head).toBe(false);
    const forward = await request(h.app).post(`/api/v1/sessions/${session}/head`).set(as(h.keyA)).send({ node_id: third.node_id });
    expect(forward.body.head_node_id).toBe(third.node_id);
    expect(await headOf(session)).toBe(third.node_id);
  });

  it("answer 404 for another session's node (of the same tenant), 400 for a malformed node id or body", async () => {
    const session = await newSession(h);
    const mine = await uploaded(h, session, 'v\n1\n');
    const other = await newSession(h);
    const theirs = await uploaded(h, other, 'v\n2\n');
    const moved = await request(h.app).post(`/api/v1/sessions/${session}/head`).set(as(h.keyA)).send({ node_id: theirs.node_id });
    expect([moved.status, moved.body.error]).toEqual([404, 'node_not_found']);
    expect(await headOf(session)).toBe(mine.node_id);
    for (const path of [`nodes/${theirs.node_id}`, `nodes/${theirs.node_id}/rows`, `nodes/${randomUUID()}`]) {
      const res = await request(h.app).get(`/api/v1/sessions/${session}/${path}`).set(as(h.keyA));
      expect([path, res.status, res.body.error]).toEqual([path, 404, 'node_not_found']);
    }
    for (const path of ['nodes/x', 'nodes/x/rows', `nodes/${'a'.repeat(3000)}`]) {
      const res = await request(h.app).get(`/api/v1/sessions/${session}/${path}`).set(as(h.keyA));
      expect([path.slice(0, 20), res.status, res.body.error]).toEqual([path.slice(0, 20), 400, 'invalid_node_id']);
    }
    for (const body of [{}, { node_id: 'x' }, { node_id: mine.node_id, extra: 1 }, []]) {
      const res = await request(h.app).post(`/api/v1/sessions/${session}/head`).set(as(h.keyA)).send(body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
    }
    const badCursor = await request(h.app).get(`/api/v1/sessions/${session}/nodes?cursor=abc`).set(as(h.keyA));
    expect([badCursor.status, badCursor.body.error]).toEqual([400, 'invalid_cursor']);
  });
});

describe('odd uploads', () => {
  const ODD: [string, string | Buffer][] = [
    ['binary', Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x01])],
    ['invalid UTF-8', Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')])],
    ['a NUL in a cell', 'a,b\n1,x\u0000y\n'],
    ['a byte-order mark', '\ufeffa,b\n1,2\n'],
    ['a repeated header', 'a,a\n1,2\n'],
    ['an empty header name', 'a,\n1,2\n'],
    ['__proto__ as a header', '__proto__,constructor\n1,2\n'],
    ['201 columns', `${Array.from({ length: 201 }, (_, i) => `c${i}`).join(',')}\n`],
    ['a cell of 100,001 characters', `a\n${'x'.repeat(100_001)}\n`],
    ['only a header', 'a,b\n'],
    ['blank lines', '\n\n\n'],
    ['CRLF line ends', 'a,b\r\n1,2\r\n'],
    ['JSON in CSV', '{"a":1}\n{"a":2}\n'],
    ['a JSON line nested deep', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}\n`],
    ['a JSON line with __proto__', '{"__proto__":{"x":1},"b":2}\n'],
    ['JSON with an unpaired surrogate', '{"a":"\\ud800"}\n'],
    ['a JSON number too large', '{"a":1e400}\n'],
    ['JSON Lines of scalars', '1\n"x"\ntrue\n'],
  ];

  it('answers each with a 201 or a 400 that says what is wrong, never a 500, and stores nothing when refused', async () => {
    const session = await newSession(h, h.keyB);
    const failures: string[] = [];
    for (const [what, body] of ODD) {
      for (const type of ['text/csv', 'application/x-ndjson']) {
        const before = await storedNodes(h, session);
        // These exact bytes (supertest would send a string as UTF-8).
        const res = await rawPost(base, `/api/v1/sessions/${session}/datasets`, {
          headers: { ...as(h.keyB), 'Content-Type': type },
          pieces: [typeof body === 'string' ? Buffer.from(body) : body],
          end: true,
        }).answer;
        const stored = (await storedNodes(h, session)) - before;
        const ok = (res.status === 201 && stored === 1) || (res.status === 400 && stored === 0 && typeof res.body.message === 'string');
        if (!ok) failures.push(`${what} as ${type} → ${res.status}, ${stored} stored: ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
