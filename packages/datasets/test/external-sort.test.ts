import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from '@conveyor/contracts';
import { transformRows, type Row } from '../src';
import { MAX_MERGE_FAN_IN } from '../src/sort/external-sort';
import { columnsOf, inputOf, run } from './run-helpers';

const columns = columnsOf({ id: 'integer', group: 'string', score: 'number' });

/** Rows with many equal keys and missing values, in a scrambled order (deterministic). */
function scrambled(count: number): Row[] {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const groups = ['b', 'a', 'é', 'B', '😀', 'ｱ', null];
  return Array.from({ length: count }, (_, id) => [id, groups[next() % groups.length]!, next() % 10 === 0 ? null : (next() % 40) / 4]);
}

/** The expected order, by an in-memory stable sort with the same rules (nulls last, code points). */
function sortedInMemory(rows: Row[], desc: boolean): Row[] {
  const codePoints = (text: string) => Array.from(text).map((char) => char.codePointAt(0)!);
  const compareText = (a: string, b: string) => {
    const x = codePoints(a);
    const y = codePoints(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };
  return [...rows].sort((a, b) => {
    const [ga, gb] = [a[1] as string | null, b[1] as string | null];
    if (ga !== gb) {
      if (ga === null) return 1;
      if (gb === null) return -1;
      return compareText(ga, gb);
    }
    const [sa, sb] = [a[2] as number | null, b[2] as number | null];
    if (sa === sb) return 0;
    if (sa === null) return 1;
    if (sb === null) return -1;
    return desc ? sb - sa : sa - sb;
  });
}

const sortStep: Step = {
  op: 'sort',
  by: [
    { column: 'group', direction: 'asc' },
    { column: 'score', direction: 'desc' },
  ],
};

describe('transformRows: external sort', () => {
  let tmpDir: string;
  beforeEach(async () => {
    tmpDir = await mkdtemp(join(tmpdir(), 'datasets-sort-test-'));
  });
  afterEach(async () => {
    await rm(tmpDir, { recursive: true, force: true });
  });

  it('sorts over many runs on disk as a stable in-memory sort does, and removes its files', async () => {
    const rows = scrambled(2000);
    const { rows: out, summary } = await run([sortStep], columns, rows, { tmpDir, sortRunRows: 97, chunkSize: 64 });
    expect(out).toEqual(sortedInMemory(rows, true));
    expect(summary.rowsOut).toBe(2000);
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it(`merges more than ${MAX_MERGE_FAN_IN} runs in passes`, async () => {
    const rows = scrambled(MAX_MERGE_FAN_IN * 3 * 5 + 11);
    const { rows: out } = await run([sortStep], columns, rows, { tmpDir, sortRunRows: 5, chunkSize: 50 });
    expect(out).toEqual(sortedInMemory(rows, true));
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('removes its files when aborted while merging, and when its reader stops early', async () => {
    const rows = scrambled(5000);
    const controller = new AbortController();
    const aborted = transformRows({ steps: [sortStep] }, columns, inputOf(rows, 100).chunks, { tmpDir, sortRunRows: 300, signal: controller.signal });
    await aborted.chunks.next();
    const [sortDir] = await readdir(tmpDir);
    expect((await readdir(join(tmpDir, sortDir!))).length).toBeGreaterThan(1);
    controller.abort(new Error('cancelled'));
    await expect(aborted.chunks.next()).rejects.toThrow('cancelled');
    expect(await readdir(tmpDir)).toEqual([]);

    const stopped = transformRows({ steps: [sortStep] }, columns, inputOf(rows, 100).chunks, { tmpDir, sortRunRows: 300 });
    await stopped.chunks.next();
    expect(await readdir(tmpDir)).toHaveLength(1);
    await stopped.chunks.return(undefined);
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('removes its files when aborted while writing runs', async () => {
    const controller = new AbortController();
    async function* abortingInput() {
      for (let start = 0; start < 3000; start += 100) {
        if (start === 1500) controller.abort(new Error('cancelled while reading'));
        yield scrambled(100);
      }
    }
    const transform = transformRows({ steps: [sortStep] }, columns, abortingInput(), { tmpDir, sortRunRows: 250, signal: controller.signal });
    await expect(transform.chunks.next()).rejects.toThrow('cancelled while reading');
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('sorts an input that fits in one run without touching the disk', async () => {
    const rows = scrambled(300);
    const transform = transformRows({ steps: [sortStep] }, columns, inputOf(rows, 100).chunks, { tmpDir, sortRunRows: 1000 });
    const first = await transform.chunks.next();
    expect(first.value).toEqual(sortedInMemory(rows, true));
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('sorts 200,000 rows through several run files rather than holding them all', async () => {
    const count = 200_000;
    async function* generated() {
      for (let start = 0; start < count; start += 1000) {
        yield Array.from({ length: 1000 }, (_, i): Row => [start + i, `g${(start + i) % 977}`, ((start + i) * 7919) % 1000]);
      }
    }
    const transform = transformRows(
      {
        steps: [
          {
            op: 'sort',
            by: [
              { column: 'score', direction: 'desc' },
              { column: 'id', direction: 'asc' },
            ],
          },
        ],
      },
      columns,
      generated(),
      { tmpDir },
    );
    const first = await transform.chunks.next();
    const [sortDir] = await readdir(tmpDir);
    const runFiles = await readdir(join(tmpDir, sortDir!));
    expect(runFiles.length).toBe(4);
    const top = Array.from({ length: 1000 }, (_, id) => id).find((id) => (id * 7919) % 1000 === 999)!;
    expect((first.value as Row[]).slice(0, 3).map((row) => row[0])).toEqual([top, top + 1000, top + 2000]);
    let rowsOut = (first.value as Row[]).length;
    let previous = (first.value as Row[]).at(-1)!;
    const outOfOrder: Row[] = [];
    for await (const chunk of transform.chunks) {
      for (const row of chunk) {
        const inOrder = (row[2] as number) < (previous[2] as number) || (row[2] === previous[2] && (row[0] as number) > (previous[0] as number));
        if (!inOrder) outOfOrder.push(row);
        previous = row;
      }
      rowsOut += chunk.length;
    }
    expect(outOfOrder).toEqual([]);
    expect(rowsOut).toBe(count);
    expect(transform.summary()).toMatchObject({ rowsIn: count, rowsOut: count });
    expect(await readdir(tmpDir)).toEqual([]);
  });
});
