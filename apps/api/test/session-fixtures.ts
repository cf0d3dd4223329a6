import { once } from 'node:events';
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import request from 'supertest';
import type { Harness } from './helpers';

// Sessions and uploads made through the API, and requests whose bodies come slowly, in
// pieces or not at all (supertest sends a body whole), for the dataset session tests.

export const as = (key: string) => ({ Authorization: `Bearer ${key}` });

export async function newSession(h: Harness, key = h.keyA, name = 'people'): Promise<string> {
  const res = await request(h.app).post('/api/v1/sessions').set(as(key)).send({ name });
  if (res.status !== 201) throw new Error(`session: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.session_id as string;
}

/** Uploads a dataset through supertest (the body sent whole, with its Content-Length). */
export function upload(h: Harness, sessionId: string, body: string, options: { key?: string; type?: string; filename?: string } = {}) {
  return request(h.app)
    .post(`/api/v1/sessions/${sessionId}/datasets`)
    .query(options.filename === undefined ? {} : { filename: options.filename })
    .set({ ...as(options.key ?? h.keyA), 'Content-Type': options.type ?? 'text/csv' })
    .send(body);
}

/** Uploads a dataset and returns its node, failing the test with the answer when it is not a 201. */
export async function uploaded(h: Harness, sessionId: string, body: string, options: { key?: string; type?: string; filename?: string } = {}) {
  const res = await upload(h, sessionId, body, options);
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { node_id: string; row_count: number; columns: { name: string; type: string; null_count: number }[] };
}

/** A CSV of `rows` rows: id (1 up), name, every tenth name empty. */
export function peopleCsv(rows: number): string {
  const lines = ['id,name'];
  for (let i = 1; i <= rows; i += 1) lines.push(`${i},${i % 10 === 0 ? '' : `person ${i}`}`);
  return `${lines.join('\n')}\n`;
}

/** The API listening on a port of its own, for requests sent by hand. */
export async function listening(h: Harness): Promise<{ server: Server; base: string }> {
  const server = h.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: { error?: string; message?: string } & Record<string, unknown>;
}

/**
 * A POST whose headers go at once and whose body is these pieces, then the end of the body only
 * if `end`: without it the request stays open, as a slow or stalled client's would. Chunked
 * unless the headers give a Content-Length. The answer resolves once a response has arrived
 * whole; `request` lets a test cut the connection.
 */
export function rawPost(base: string, path: string, options: { headers: Record<string, string>; pieces?: (string | Buffer)[]; end?: boolean }) {
  const req = http.request(`${base}${path}`, { method: 'POST', headers: options.headers, agent: false });
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : {} });
        req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  for (const piece of options.pieces ?? []) req.write(piece);
  if (options.end) req.end();
  return { answer, request: req };
}

/** Connections of the API's pool in this test's database with a transaction open: uploads streaming. */
export async function openTransactions(h: Harness): Promise<number> {
  // Uploads that are writing: the backends whose transaction holds a write lock on
  // dataset_nodes (an upload inserts its node before it reads the body). Counting every open
  // transaction also counted the API's own background statements, and a test saw two
  // "uploads" that were one.
  const { rows } = await sql<{ n: string }>`
    select count(distinct l.pid) as n from pg_locks l
      join pg_class c on c.oid = l.relation
     where l.database = (select oid from pg_database where datname = current_database())
       and c.relname = 'dataset_nodes' and l.mode = 'RowExclusiveLock' and l.pid <> pg_backend_pid()`.execute(h.db);
  return Number(rows[0]!.n);
}

/** The nodes of a session, as stored. */
export async function storedNodes(h: Harness, sessionId: string): Promise<number> {
  const row = await h.db
    .selectFrom('dataset_nodes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('session_id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
