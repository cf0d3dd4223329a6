import { Readable } from 'node:stream';
import type { DatasetFormat } from '@conveyor/contracts';
import { DatasetFormatError, readUpload, type Row, type UploadSummary } from '../src';

/** A body streaming this text in pieces of `pieceBytes` bytes (cutting through multi-byte characters). */
export function bodyOf(text: string, pieceBytes = 7): Readable {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += pieceBytes) pieces.push(bytes.subarray(start, start + pieceBytes));
  return Readable.from(pieces, { objectMode: false });
}

/** Every row of an upload and its summary. */
export async function readAll(
  text: string,
  format: DatasetFormat,
  maxBytes = 10_000_000,
): Promise<{ rows: Row[]; chunkSizes: number[]; summary: UploadSummary }> {
  const reader = readUpload(bodyOf(text), format, { maxBytes });
  const rows: Row[] = [];
  const chunkSizes: number[] = [];
  for await (const chunk of reader.chunks) {
    chunkSizes.push(chunk.length);
    rows.push(...chunk);
  }
  return { rows, chunkSizes, summary: reader.summary() };
}

/** The DatasetFormatError reading this upload throws (failing the test if it reads fine). */
export async function formatError(text: string, format: DatasetFormat, maxBytes?: number): Promise<DatasetFormatError> {
  try {
    await readAll(text, format, maxBytes);
  } catch (error) {
    if (error instanceof DatasetFormatError) return error;
    throw error;
  }
  throw new Error('the upload was read without an error');
}
