import type { Program, Step } from '@conveyor/contracts';
import { transformRows, type DatasetColumn, type Row, type TransformOptions, type TransformSummary } from '../src';

/** An input of rows in chunks, which records how far it was read. */
export interface RecordedInput {
  chunks: AsyncGenerator<Row[]>;
  chunksRead: number;
  drained: boolean;
}

/** Rows as an input of chunks of `size`, recording how many chunks were taken and whether it was read to its end. */
export function inputOf(rows: Row[], size = 2): RecordedInput {
  async function* chunks() {
    for (let start = 0; start < rows.length; start += size) {
      recorded.chunksRead++;
      yield rows.slice(start, start + size);
    }
    recorded.drained = true;
  }
  const recorded: RecordedInput = { chunksRead: 0, drained: false, chunks: chunks() };
  return recorded;
}

/** The output of a program over rows: its columns, rows, summary. */
export async function run(
  steps: Step[],
  columns: DatasetColumn[],
  rows: Row[],
  options?: TransformOptions & { chunkSize?: number },
): Promise<{ columns: DatasetColumn[]; rows: Row[]; summary: TransformSummary; input: RecordedInput }> {
  const input = inputOf(rows, options?.chunkSize);
  const transform = transformRows({ steps } as Program, columns, input.chunks, options);
  const out: Row[] = [];
  for await (const chunk of transform.chunks) out.push(...chunk);
  return { columns: transform.columns, rows: out, summary: transform.summary(), input };
}

/** Columns of these names and types. */
export function columnsOf(spec: Record<string, DatasetColumn['type']>): DatasetColumn[] {
  return Object.entries(spec).map(([name, type]) => ({ name, type }));
}
