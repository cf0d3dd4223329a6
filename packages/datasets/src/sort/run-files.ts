import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { SortEntry } from './sort-keys';

const LINES_PER_WRITE = 1000;

/** Writes sorted entries to a run file, one JSON line each: [ordinal, changed (0/1), cells]. */
export async function writeRun(path: string, entries: Iterable<SortEntry> | AsyncIterable<SortEntry>): Promise<void> {
  const file = await open(path, 'wx');
  try {
    let batch: string[] = [];
    for await (const entry of entries) {
      batch.push(JSON.stringify([entry.ordinal, entry.changed ? 1 : 0, entry.cells]));
      if (batch.length === LINES_PER_WRITE) {
        await file.write(batch.join('\n') + '\n');
        batch = [];
      }
    }
    if (batch.length) await file.write(batch.join('\n') + '\n');
  } finally {
    await file.close();
  }
}

/** Reads a run file's entries back, in order, streaming. */
export async function* readRun(path: string): AsyncGenerator<SortEntry> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const [ordinal, changed, cells] = JSON.parse(line) as [number, 0 | 1, SortEntry['cells']];
      yield { ordinal, changed: changed === 1, cells };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}
