import { randomUUID } from 'node:crypto';
import { CHUNK_ROWS } from '@conveyor/contracts';
import { waitFor } from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import {
  type Database,
  type DatasetRow,
  DatasetSessionNotFoundError,
  ParentNodeNotFoundError,
  type WriteNodeInput,
  appendExchange,
  createSession,
  createTenantWithKey,
  decodeCursor,
  decodeSequenceCursor,
  deleteSession,
  findSession,
  finishActiveTask,
  listNodes,
  listSessionMessages,
  listSessions,
  moveHead,
  nodeOfSession,
  readChunks,
  readRows,
  setActiveTask,
  writeNode,
} from '../src';
import { ChunkWriter } from '../src/datasets/chunk-writer';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;
let otherTenant: string;

beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'acme', plan: 'trial' })).tenant.id;
  otherTenant = (await createTenantWithKey(db, { name: 'other', plan: 'trial' })).tenant.id;
});
afterAll(() => close());

const COLUMNS = [
  { name: 'n', type: 'integer' as const },
  { name: 'name', type: 'string' as const },
  { name: 'extra', type: 'json' as const },
];

/** Row i of the test datasets: every third name missing, every fifth empty (present), extra only on even rows (odd rows are short). */
const rowAt = (i: number): DatasetRow => {
  const name = i % 3 === 0 ? null : i % 5 === 0 ? '' : `name ${i} \u00e9\u0000`;
  return i % 2 === 0 ? [i, name, { i, list: [i, 'x'] }] : [i, name];
};
const rowsFrom = (start: number, count: number) => Array.from({ length: count }, (_, k) => rowAt(start + k));

/** The rows 0..total-1 in pieces of the given sizes, in turn. */
async function* piecesOf(total: number, sizes: number[]): AsyncGenerator<DatasetRow[]> {
  let at = 0;
  for (let k = 0; at < total; k += 1) {
    const size = Math.min(sizes[k % sizes.length]!, total - at);
    yield rowsFrom(at, size);
    at += size;
  }
}

/** A source that must never be read. */
async function* untouchable(): AsyncGenerator<DatasetRow[]> {
  yield* [];
  throw new Error('this source was read');
}

const newSession = (tenant = tenantId) => createSession(db, { tenantId: tenant, name: `s-${randomUUID()}` });

function upload(sessionId: string, chunks: AsyncIterable<DatasetRow[]>, extra: Partial<WriteNodeInput> = {}) {
  return writeNode(db, {
    id: randomUUID(),
    sessionId,
    tenantId,
    parentId: null,
    taskId: null,
    program: null,
    source: { format: 'csv', filename: 'people.csv', bytes: 1234 },
    chunks,
    finish: () => ({ columns: COLUMNS, transformation: 'Uploaded people.csv', rowsAffected: 0 }),
    ...extra,
  });
}

const chunkSizes = async (nodeId: string) =>
  (await db.selectFrom('dataset_chunks').select(['chunk_no', 'row_count']).where('node_id', '=', nodeId).orderBy('chunk_no').execute()).map((c) => [
    c.chunk_no,
    c.row_count,
  ]);
const nodeCount = async (sessionId: string) =>
  Number(
    (
      await db
        .selectFrom('dataset_nodes')
        .select(sql<string>`count(*)`.as('n'))
        .where('session_id', '=', sessionId)
        .executeTakeFirstOrThrow()
    ).n,
  );
const allChunkCount = async () =>
  Number(
    (
      await db
        .selectFrom('dataset_chunks')
        .select(sql<string>`count(*)`.as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('sessions', () => {
  it('are conversations of their own id, read and listed (newest first, by cursor) within their tenant only', async () => {
    const tenant = (await createTenantWithKey(db, { name: `t-${randomUUID()}`, plan: 'trial' })).tenant.id;
    const made = [];
    for (const name of ['first', 'second', 'third']) made.push(await createSession(db, { tenantId: tenant, name }));
    expect(made[0]).toMatchObject({ tenant_id: tenant, name: 'first', head_node_id: null, active_task_id: null });
    const conversation = await db.selectFrom('conversations').selectAll().where('id', '=', made[0]!.id).executeTakeFirst();
    expect(conversation).toMatchObject({ tenant_id: tenant });

    expect(await findSession(db, tenant, made[1]!.id)).toEqual(made[1]);
    expect(await findSession(db, otherTenant, made[1]!.id)).toBeUndefined();

    const first = await listSessions(db, tenant, { limit: 2 });
    expect(first.rows.map((s) => s.name)).toEqual(['third', 'second']);
    const second = await listSessions(db, tenant, { limit: 2, after: decodeCursor(first.next!) });
    expect(second.rows.map((s) => s.name)).toEqual(['first']);
    expect(second.next).toBeUndefined();
    expect((await listSessions(db, otherTenant, { limit: 50 })).rows.map((s) => s.tenant_id)).not.toContain(tenant);
  });

  it('keep the task of the message being processed, which only that task ends', async () => {
    const session = await newSession();
    const task = randomUUID();
    expect(await setActiveTask(db, otherTenant, session.id, task)).toBeUndefined();
    expect(await setActiveTask(db, tenantId, session.id, task)).toMatchObject({ active_task_id: task });
    expect(await finishActiveTask(db, session.id, randomUUID())).toBe(false);
    expect(await finishActiveTask(db, session.id, task)).toBe(true);
    expect((await findSession(db, tenantId, session.id))!.active_task_id).toBeNull();
  });
});

describe('writing a node', () => {
  it('re-cuts rows arriving in uneven pieces into chunks of exactly CHUNK_ROWS, counts rows and missing values, and moves the head', async () => {
    const session = await newSession();
    const node = await upload(session.id, piecesOf(2500, [7, 993, 1201, 299]));
    expect(CHUNK_ROWS).toBe(1000);
    expect(await chunkSizes(node.id)).toEqual([
      [0, 1000],
      [1, 1000],
      [2, 500],
    ]);
    // name is missing (null) on every third row, '' is a value; extra is missing on the odd rows, which stop short of it.
    expect(node).toMatchObject({
      session_id: session.id,
      parent_id: null,
      row_count: 2500,
      rows_affected: 0,
      transformation: 'Uploaded people.csv',
      source: { format: 'csv', filename: 'people.csv', bytes: 1234 },
      columns: [
        { name: 'n', type: 'integer', null_count: 0 },
        { name: 'name', type: 'string', null_count: 834 },
        { name: 'extra', type: 'json', null_count: 1250 },
      ],
    });
    expect((await findSession(db, tenantId, session.id))!.head_node_id).toBe(node.id);
    expect(await nodeOfSession(db, tenantId, session.id, node.id)).toEqual(node);

    const read: DatasetRow[] = [];
    for await (const chunk of readChunks(db, node.id)) read.push(...chunk);
    expect(read).toEqual(rowsFrom(0, 2500));
  });

  it('reads a page of rows by offset, across a chunk boundary, at the end and past it', async () => {
    const session = await newSession();
    const node = await upload(session.id, piecesOf(2500, [2500]));
    expect(await readRows(db, node.id, 995, 10)).toEqual(rowsFrom(995, 10));
    expect(await readRows(db, node.id, 0, 1)).toEqual(rowsFrom(0, 1));
    expect(await readRows(db, node.id, 999, 1002)).toEqual(rowsFrom(999, 1002));
    expect(await readRows(db, node.id, 2490, 100)).toEqual(rowsFrom(2490, 10));
    expect(await readRows(db, node.id, 2500, 100)).toEqual([]);
    expect(await readRows(db, node.id, Number.MAX_SAFE_INTEGER, 1000)).toEqual([]);
  });

  it('stores a dataset of no rows as a node without chunks, with the source finish() tells', async () => {
    const session = await newSession();
    const source = { format: 'jsonl' as const, filename: null, bytes: 0 };
    const node = await upload(session.id, piecesOf(0, [1]), { finish: () => ({ columns: COLUMNS, transformation: 'Uploaded', rowsAffected: 0, source }) });
    expect(node).toMatchObject({ row_count: 0, source });
    expect(node.columns.map((c) => c.null_count)).toEqual([0, 0, 0]);
    expect(await chunkSizes(node.id)).toEqual([]);
    expect(await readRows(db, node.id, 0, 10)).toEqual([]);
  });

  it('sends full chunks to Postgres while the rows still come, a batch at a time', async () => {
    const session = await newSession();
    const nodeId = randomUUID();
    await db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('dataset_nodes').values({ id: nodeId, session_id: session.id, tenant_id: tenantId }).execute();
        const writer = new ChunkWriter(trx, nodeId);
        for (let k = 0; k < 20; k += 1) await writer.add(rowsFrom(k * 1000, 1000));
        const stored = await trx
          .selectFrom('dataset_chunks')
          .select(sql<string>`count(*)`.as('n'))
          .where('node_id', '=', nodeId)
          .executeTakeFirstOrThrow();
        // All but the batch still being gathered: no more than a few chunks are held in memory.
        expect(Number(stored.n)).toBeGreaterThanOrEqual(12);
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
  });

  it('returns the node already written when the same id is written again (a retried task), reading nothing', async () => {
    const session = await newSession();
    const id = randomUUID();
    const task = randomUUID();
    const first = await upload(session.id, piecesOf(1500, [1500]), { id, taskId: task });
    const again = await upload(session.id, untouchable(), { id, taskId: task });
    expect(again).toEqual(first);
    // Another id for the same task finds the same node too: a task makes one node.
    expect(await upload(session.id, untouchable(), { taskId: task })).toEqual(first);
    expect(await nodeCount(session.id)).toBe(1);
    expect(await chunkSizes(id)).toEqual([
      [0, 1000],
      [1, 500],
    ]);
  });

  /** True once some backend of this test's database waits for a lock (a writer waiting for another). */
  async function someoneWaits(): Promise<true | undefined> {
    const { rows } = await sql<{
      n: string;
    }>`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
    return Number(rows[0]!.n) > 0 ? true : undefined;
  }

  it('lets one of two concurrent writers of an id write it; the other waits and returns its node', async () => {
    const session = await newSession();
    const id = randomUUID();
    let reading = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    async function* gated(): AsyncGenerator<DatasetRow[]> {
      reading = true; // the node is inserted before its rows are read
      yield rowsFrom(0, 1500);
      await released;
      yield rowsFrom(1500, 700);
    }
    const first = upload(session.id, gated(), { id });
    await waitFor(async () => (reading ? true : undefined), 'the first writer to insert its node');
    const second = upload(session.id, untouchable(), { id });
    await waitFor(someoneWaits, 'the second writer to wait for the first');
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(b).toEqual(a);
    expect(a.row_count).toBe(2200);
    expect(await nodeCount(session.id)).toBe(1);
  });

  it('writes its own node when the concurrent writer it waited for rolls back', async () => {
    const session = await newSession();
    const id = randomUUID();
    let reading = false;
    let fail!: () => void;
    const failed = new Promise<void>((resolve) => (fail = resolve));
    async function* failing(): AsyncGenerator<DatasetRow[]> {
      reading = true;
      yield rowsFrom(0, 10);
      await failed;
      throw new Error('the upload broke');
    }
    const first = upload(session.id, failing(), { id });
    await waitFor(async () => (reading ? true : undefined), 'the first writer to insert its node');
    const second = upload(session.id, piecesOf(20, [20]), { id });
    await waitFor(someoneWaits, 'the second writer to wait for the first');
    fail();
    await expect(first).rejects.toThrow('the upload broke');
    expect((await second).row_count).toBe(20);
    expect(await chunkSizes(id)).toEqual([[0, 20]]);
  });

  it('rolls everything back when its signal aborts, even while waiting for rows', async () => {
    const session = await newSession();
    const kept = await upload(session.id, piecesOf(10, [10]));
    const before = await allChunkCount();
    const controller = new AbortController();
    async function* stalls(): AsyncGenerator<DatasetRow[]> {
      yield rowsFrom(0, 9000);
      controller.abort(new Error('the client went away'));
      await new Promise(() => undefined);
    }
    const id = randomUUID();
    await expect(upload(session.id, stalls(), { id, signal: controller.signal })).rejects.toThrow('the client went away');
    expect(await nodeOfSession(db, tenantId, session.id, id)).toBeUndefined();
    expect(await allChunkCount()).toBe(before);
    expect((await findSession(db, tenantId, session.id))!.head_node_id).toBe(kept.id);
    // An already aborted signal writes nothing at all.
    await expect(upload(session.id, untouchable(), { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
    expect(await nodeCount(session.id)).toBe(1);
  });

  it('rolls back when the rows fail, and names a missing session or parent', async () => {
    const session = await newSession();
    async function* broken(): AsyncGenerator<DatasetRow[]> {
      yield rowsFrom(0, 2000);
      throw new Error('line 2001: unterminated quote');
    }
    await expect(upload(session.id, broken())).rejects.toThrow('line 2001');
    expect(await nodeCount(session.id)).toBe(0);
    expect((await findSession(db, tenantId, session.id))!.head_node_id).toBeNull();

    const foreign = await newSession(otherTenant);
    await expect(upload(foreign.id, untouchable())).rejects.toBeInstanceOf(DatasetSessionNotFoundError);
    const elsewhere = await upload((await newSession()).id, piecesOf(1, [1]));
    await expect(upload(session.id, untouchable(), { parentId: elsewhere.id })).rejects.toBeInstanceOf(ParentNodeNotFoundError);
  });
});

describe("a session's nodes", () => {
  it('are listed oldest first by cursor, and the head moves among them, never to another session’s', async () => {
    const session = await newSession();
    const root = await upload(session.id, piecesOf(5, [5]));
    const child = await upload(session.id, piecesOf(3, [3]), { parentId: root.id, program: { steps: [{ op: 'limit', count: 3 }] }, source: null });
    const grandchild = await upload(session.id, piecesOf(2, [2]), { parentId: child.id, source: null });
    expect(child).toMatchObject({ parent_id: root.id, program: { steps: [{ op: 'limit', count: 3 }] }, source: null });

    const page = await listNodes(db, tenantId, session.id, { limit: 2 });
    expect(page.rows.map((n) => n.id)).toEqual([root.id, child.id]);
    const rest = await listNodes(db, tenantId, session.id, { limit: 2, after: decodeCursor(page.next!) });
    expect(rest.rows.map((n) => n.id)).toEqual([grandchild.id]);
    expect(rest.next).toBeUndefined();
    expect((await listNodes(db, otherTenant, session.id, { limit: 10 })).rows).toEqual([]);

    expect((await findSession(db, tenantId, session.id))!.head_node_id).toBe(grandchild.id);
    expect(await moveHead(db, tenantId, session.id, root.id)).toMatchObject({ head_node_id: root.id });
    expect(await moveHead(db, tenantId, session.id, grandchild.id)).toMatchObject({ head_node_id: grandchild.id });
    const other = await newSession();
    const otherNode = await upload(other.id, piecesOf(1, [1]));
    expect(await moveHead(db, tenantId, session.id, otherNode.id)).toBeUndefined();
    expect(await moveHead(db, otherTenant, session.id, root.id)).toBeUndefined();
    expect(await nodeOfSession(db, tenantId, other.id, root.id)).toBeUndefined();
    expect(await nodeOfSession(db, otherTenant, session.id, root.id)).toBeUndefined();
    expect((await findSession(db, tenantId, session.id))!.head_node_id).toBe(grandchild.id);
  });

  it('go with their session when it is deleted: nodes, chunks and chat', async () => {
    const session = await newSession();
    const root = await upload(session.id, piecesOf(2500, [2500]));
    await upload(session.id, piecesOf(1200, [1200]), { parentId: root.id, source: null });
    await appendExchange(db, { conversationId: session.id, taskId: randomUUID(), message: 'drop empty rows', reply: 'Done' });
    expect(await deleteSession(db, otherTenant, session.id)).toBe(false);
    expect(await nodeCount(session.id)).toBe(2);

    expect(await deleteSession(db, tenantId, session.id)).toBe(true);
    expect(await findSession(db, tenantId, session.id)).toBeUndefined();
    expect(await nodeCount(session.id)).toBe(0);
    expect(await chunkSizes(root.id)).toEqual([]);
    expect(await db.selectFrom('chat_messages').select('id').where('conversation_id', '=', session.id).execute()).toEqual([]);
    expect(await deleteSession(db, tenantId, session.id)).toBe(false);
    // A conversation that is not a session is not deleted as one.
    const plain = randomUUID();
    await db.insertInto('conversations').values({ id: plain, tenant_id: tenantId }).execute();
    expect(await deleteSession(db, tenantId, plain)).toBe(false);
  });
});

describe("a session's chat", () => {
  it('is listed oldest first, a page at a time, to its tenant only', async () => {
    const session = await newSession();
    for (const n of [1, 2, 3]) await appendExchange(db, { conversationId: session.id, taskId: randomUUID(), message: `ask ${n}`, reply: `answer ${n}` });
    const first = await listSessionMessages(db, tenantId, session.id, { limit: 4 });
    expect(first.rows.map((m) => [m.role, m.content])).toEqual([
      ['user', 'ask 1'],
      ['assistant', 'answer 1'],
      ['user', 'ask 2'],
      ['assistant', 'answer 2'],
    ]);
    expect(first.rows[0]!.created_at).toBeInstanceOf(Date);
    const after = decodeSequenceCursor(first.next!);
    expect(after).toBeDefined();
    const second = await listSessionMessages(db, tenantId, session.id, { limit: 4, after });
    expect(second.rows.map((m) => m.content)).toEqual(['ask 3', 'answer 3']);
    expect(second.next).toBeUndefined();
    expect((await listSessionMessages(db, otherTenant, session.id, { limit: 4 })).rows).toEqual([]);
  });

  it('takes only the cursors it gives out', () => {
    for (const bad of [
      '',
      'MA',
      Buffer.from('01').toString('base64url'),
      Buffer.from('-1').toString('base64url'),
      Buffer.from('99999999999999999999').toString('base64url'),
      `${Buffer.from('12').toString('base64url')}=`,
    ]) {
      expect([bad, decodeSequenceCursor(bad)]).toEqual([bad, undefined]);
    }
    expect(decodeSequenceCursor(Buffer.from('9223372036854775807').toString('base64url'))).toBe('9223372036854775807');
  });
});
