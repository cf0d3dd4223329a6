import type { Readable } from 'node:stream';
import { DatasetFormatError } from '../errors';

/** Bytes read from an upload's body so far. */
export interface ByteCount {
  bytes: number;
}

/** Bytes in MB (MiB), as a person writes them: 10 MB, 2.5 MB, 0.0015 MB. Upload limits are said so everywhere. */
export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb >= 100 ? Math.round(mb) : Number(mb.toPrecision(2))} MB`;
}

/**
 * The body's chunks as Buffers, counting their bytes into `count`, and throwing a 413
 * DatasetFormatError as soon as the total passes maxBytes. Stopping early leaves the body
 * undestroyed (an HTTP server can still answer, then discard the rest).
 */
export async function* countBytes(body: Readable, maxBytes: number, count: ByteCount): AsyncGenerator<Buffer> {
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    count.bytes += buffer.length;
    if (count.bytes > maxBytes) throw new DatasetFormatError(`the upload is larger than your plan's limit of ${megabytes(maxBytes)}`, 413);
    yield buffer;
  }
}
