import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  type Claim,
  type Database,
  GroupCommit,
  PartitionedGroupCommit,
  type TaskStateResult,
  type TaskStateWrite,
  createTenantWithKey,
  findTask,
  insertTasks,
  writeTaskStates,
} from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;
const DAY = 86_400_000;

beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'acme', plan: 'trial' })).tenant.id;
});
afterAll(() => close());

async function addTasks(n: number) {
  const rows = await insertTasks(
    db,
    Array.from({ length: n }, () => ({ id: randomUUID(), tenant_id: tenantId, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 3 })),
  );
  return rows.map((r) => r.row.id);
}

describe('GroupCommit', () => {
  it('writes concurrent items together and answers each with its own result', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>({
      write: async (items) => {
        batches.push(items);
        await new Promise((r) => setTimeout(r, 5));
        return items.map((i) => i * 10);
      },
    });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => group.submit(i)));
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i * 10));
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(batches.length).toBe(1); // all 100 arrived in one turn of the event loop
  });

  it('lets items pile up while a flush runs, and writes them in the next one', async () => {
    const batches: number[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const group = new GroupCommit<number, number>({
      write: async (items) => {
        batches.push(items.length);
        await gate;
        return items;
      },
    });
    const first = group.submit(0);
    while (batches.length === 0) await new Promise((r) => setImmediate(r)); // the first flush is running
    const later = Array.from({ length: 30 }, (_, i) => group.submit(i + 1));
    expect(group.backlog).toBe(30);
    open();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([1, 30]);
  });

  it('never puts two items with the same key in one batch, and keeps their order', async () => {
    const batches: string[][] = [];
    const group = new GroupCommit<{ k: string; v: number }, number>({
      key: (item) => item.k,
      maxBatch: 10,
      write: async (items) => {
        batches.push(items.map((i) => `${i.k}${i.v}`));
        return items.map((i) => i.v);
      },
    });
    await Promise.all([group.submit({ k: 'a', v: 1 }), group.submit({ k: 'a', v: 2 }), group.submit({ k: 'b', v: 1 }), group.submit({ k: 'a', v: 3 })]);
    expect(batches).toEqual([['a1', 'b1'], ['a2'], ['a3']]);
  });

  it('caps a batch at maxBatch', async () => {
    const sizes: number[] = [];
    const group = new GroupCommit<number, number>({ maxBatch: 7, write: async (items) => (sizes.push(items.length), items) });
    await Promise.all(Array.from({ length: 20 }, (_, i) => group.submit(i)));
    expect(sizes).toEqual([7, 7, 6]);
  });

  it('isolates a bad item: its batch is written again item by item and only that item fails', async () => {
    const group = new GroupCommit<number, number>({
      write: async (items) => {
        if (items.includes(13)) throw Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' });
        return items;
      },
    });
    const settled = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => group.submit(i)));
    expect(settled.filter((s) => s.status === 'rejected').length).toBe(1);
    expect(settled[13]).toMatchObject({ status: 'rejected', reason: { code: '22P05' } });
    expect(settled[12]).toEqual({ status: 'fulfilled', value: 12 });
  });

  it('fails the whole batch at once when Postgres is unavailable (the callers retry)', async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>({
      write: async () => {
        calls += 1;
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
    });
    const settled = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => group.submit(i)));
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
  });
});

describe('PartitionedGroupCommit', () => {
  it("batches each partition's items together, never two partitions in one batch, one batch per partition at a time while the others write", async () => {
    const batches: string[][] = [];
    const writing = new Map<string, number>();
    let overlapped = false;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const group = new PartitionedGroupCommit<{ p: string; v: number }, string>({
      partition: (item) => item.p,
      write: async (items) => {
        const p = items[0]!.p;
        batches.push(items.map((i) => `${i.p}${i.v}`));
        if ((writing.get(p) ?? 0) > 0) overlapped = true;
        writing.set(p, (writing.get(p) ?? 0) + 1);
        if (p === 'a') await gate; // a's first batch is slow; b's go on meanwhile
        writing.set(p, writing.get(p)! - 1);
        return items.map((i) => `${i.p}${i.v}`);
      },
    });
    const first = [group.submit({ p: 'a', v: 1 }), group.submit({ p: 'b', v: 1 }), group.submit({ p: 'a', v: 2 })];
    expect(group.partitions).toBe(2);
    await first[1];
    const later = [group.submit({ p: 'a', v: 3 }), group.submit({ p: 'b', v: 2 }), group.submit({ p: 'a', v: 4 })];
    await later[1]; // b writes while a's first batch still waits
    expect(batches).toEqual([['a1', 'a2'], ['b1'], ['b2']]);
    open();
    expect(await Promise.all([...first, ...later])).toEqual(['a1', 'b1', 'a2', 'a3', 'b2', 'a4']);
    expect(batches).toEqual([['a1', 'a2'], ['b1'], ['b2'], ['a3', 'a4']]);
    expect(overlapped).toBe(false);
    expect(group.partitions).toBe(0);
  });
});

const claim = (id: string): TaskStateWrite => ({ kind: 'claim', id });

describe('writeTaskStates on a real database', () => {
  it('claims many tasks in one statement, answering in order, undefined for the unclaimable', async () => {
    const [a, b, c] = await addTasks(3);
    await writeTaskStates(db, [claim(c!)]);
    await writeTaskStates(db, [{ kind: 'complete', id: c!, attempt: 1, result: 'done', retentionMs: DAY }]);
    const unknown = randomUUID();
    const claims = (await writeTaskStates(db, [claim(a!), claim(unknown), claim(b!), claim(c!)])) as (Claim | undefined)[];
    expect(claims.map((x) => x?.id)).toEqual([a, undefined, b, undefined]);
    expect(claims[0]).toMatchObject({ attempt: 1, task: 'ping', tenant_id: tenantId, payload: {}, max_attempts: 3 });
  });

  it('mixes claims, progress and results in one statement, refusing stale attempts', async () => {
    const [a, b, c] = await addTasks(3);
    await writeTaskStates(db, [claim(a!), claim(b!)]);
    const answers = await writeTaskStates(db, [
      { kind: 'progress', id: a!, attempt: 1, progress: 40.4, message: 'forty' },
      { kind: 'complete', id: b!, attempt: 1, result: { n: 2, text: 'quote " and \\ backslash' }, retentionMs: DAY },
      claim(c!),
    ]);
    expect(answers[0]).toBe(true);
    expect(answers[1]).toBe(true);
    expect(answers[2]).toMatchObject({ id: c, attempt: 1 });
    expect(await findTask(db, a!)).toMatchObject({ status: 'PROGRESS', progress: 40, message: 'forty' });
    expect(await findTask(db, b!)).toMatchObject({ status: 'SUCCESS', result: { n: 2, text: 'quote " and \\ backslash' }, progress: 100 });
    expect(await findTask(db, c!)).toMatchObject({ status: 'STARTED', attempt: 1 });

    // Stale attempts and finished tasks are refused.
    expect(
      await writeTaskStates(db, [
        { kind: 'progress', id: c!, attempt: 7, progress: 90, message: 'stale' },
        { kind: 'complete', id: a!, attempt: 2, result: 'stale', retentionMs: DAY },
        { kind: 'progress', id: b!, attempt: 1, progress: 10, message: 'after the end' },
      ]),
    ).toEqual([false, false, false]);
    expect(await findTask(db, c!)).toMatchObject({ status: 'STARTED', progress: 0 });
    expect(await findTask(db, b!)).toMatchObject({ status: 'SUCCESS', progress: 100 });
  });

  it('gives 200 concurrent claims through one group commit each its own task, in a few statements', async () => {
    const ids = await addTasks(200);
    let statements = 0;
    const group = new GroupCommit<TaskStateWrite, TaskStateResult>({
      key: (w) => w.id,
      write: (batch) => ((statements += 1), writeTaskStates(db, batch)),
    });
    const claims = (await Promise.all(ids.map((id) => group.submit(claim(id))))) as (Claim | undefined)[];
    expect(claims.map((x) => x?.id)).toEqual(ids);
    expect(claims.every((x) => x?.attempt === 1)).toBe(true);
    expect(statements).toBeLessThan(10);
  });
});
