import { CHUNK_ROWS } from '@conveyor/contracts';
import type { Row } from '../rows';

/** Rows grouped into chunks of CHUNK_ROWS (the last one shorter, none empty). */
export async function* inChunks(rows: AsyncIterable<Row>): AsyncGenerator<Row[]> {
  let chunk: Row[] = [];
  for await (const row of rows) {
    chunk.push(row);
    if (chunk.length === CHUNK_ROWS) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}
