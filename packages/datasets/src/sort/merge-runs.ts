import { MinHeap } from './heap';
import type { SortEntry } from './sort-keys';

interface Head {
  entry: SortEntry;
  source: AsyncIterator<SortEntry>;
}

/**
 * Merges sorted sources into one sorted stream (a k-way merge: one entry of each source in
 * memory at a time). Stopping early closes every source.
 */
export async function* mergeRuns(sources: AsyncIterator<SortEntry>[], compare: (a: SortEntry, b: SortEntry) => number): AsyncGenerator<SortEntry> {
  const heap = new MinHeap<Head>((a, b) => compare(a.entry, b.entry));
  try {
    for (const source of sources) {
      const first = await source.next();
      if (!first.done) heap.push({ entry: first.value, source });
    }
    for (let head = heap.pop(); head; head = heap.pop()) {
      yield head.entry;
      const next = await head.source.next();
      if (!next.done) heap.push({ entry: next.value, source: head.source });
    }
  } finally {
    await Promise.all(sources.map((source) => source.return?.()));
  }
}

/** A sorted array as a source of mergeRuns. */
export async function* arraySource(entries: SortEntry[]): AsyncGenerator<SortEntry> {
  yield* entries;
}
