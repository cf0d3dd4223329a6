import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_ROWS } from '@conveyor/contracts';
import type { StepRunner, TrackedRow } from '../run/tracked-row';
import { arraySource, mergeRuns } from './merge-runs';
import { readRun, writeRun } from './run-files';
import { entryComparator, type SortEntry, type SortKey } from './sort-keys';

/** Runs merged at once; more are first merged into one bigger run, so open files stay few. */
export const MAX_MERGE_FAN_IN = 64;

/** Where and how an external sort keeps its runs. */
export interface ExternalSortOptions {
  /** The directory under which the sort makes its own temp directory. */
  tmpDir: string;
  /** Rows sorted in memory at a time: the sort's memory bound. */
  runRows: number;
  signal?: AbortSignal;
}

/**
 * Sorts rows by keys (stable; missing values last) with bounded memory: runs of runRows rows are
 * sorted in memory and written as JSON lines to files in a temp directory of its own under
 * tmpDir, then merged k ways (an input that fits in one run never touches the disk). The temp
 * directory is removed when the sort ends, fails, is aborted, or its reader stops early.
 * A row that ends up at another position than it came in counts as changed.
 */
export function sortRows(keys: SortKey[], options: ExternalSortOptions): StepRunner {
  const compare = entryComparator(keys);
  return async function* (input, stats) {
    let directory: string | undefined;
    let runs: string[] = [];
    let written = 0;
    const writeSorted = async (entries: Iterable<SortEntry> | AsyncIterable<SortEntry>) => {
      options.signal?.throwIfAborted();
      directory ??= await mkdtemp(join(options.tmpDir, 'conveyor-sort-'));
      const path = join(directory, `run-${written++}.jsonl`);
      await writeRun(path, entries);
      return path;
    };
    try {
      let buffer: SortEntry[] = [];
      let ordinal = 0;
      for await (const chunk of input) {
        stats.rowsIn += chunk.length;
        for (const row of chunk) {
          buffer.push({ cells: row.cells, changed: row.changed, ordinal: ordinal++ });
          if (buffer.length < options.runRows) continue;
          runs.push(await writeSorted(buffer.sort(compare)));
          buffer = [];
          if (runs.length === MAX_MERGE_FAN_IN) {
            const merged = await writeSorted(mergeRuns(runs.map(readRun), compare));
            await Promise.all(runs.map((run) => rm(run, { force: true })));
            runs = [merged];
          }
        }
      }
      buffer.sort(compare);
      const sorted = runs.length ? mergeRuns([...runs.map(readRun), arraySource(buffer)], compare) : arraySource(buffer);

      let position = 0;
      let out: TrackedRow[] = [];
      for await (const entry of sorted) {
        const moved = entry.ordinal !== position++;
        if (moved) stats.changed++;
        out.push({ cells: entry.cells, changed: entry.changed || moved });
        if (out.length < CHUNK_ROWS) continue;
        options.signal?.throwIfAborted();
        stats.rowsOut += out.length;
        yield out;
        out = [];
      }
      stats.rowsOut += out.length;
      if (out.length) yield out;
    } finally {
      if (directory) await rm(directory, { recursive: true, force: true });
    }
  };
}
