import type { Readable } from 'node:stream';
import type { DatasetFormat } from '@conveyor/contracts';
import { readCsv } from './upload-csv';
import { readJsonl } from './upload-jsonl';
import type { UploadReader } from './upload-reader';

/** How much an upload may hold. */
export interface UploadLimits {
  /** The plan's largest upload, in bytes; a larger body is refused (413) as soon as it passes this. */
  maxBytes: number;
}

/**
 * Reads an uploaded dataset as it streams, in chunks of at most CHUNK_ROWS rows, inferring its
 * column types over the whole file (the summary, once chunks is exhausted).
 *
 * CSV: a header row naming the columns (names trimmed), then rows; cells kept as raw text, an
 * empty cell null, a short row padded with null; a column is integer (safe integers without
 * leading zeros), number, boolean (true/false in any case) when every non-empty cell reads so,
 * else string. JSON Lines: one object per non-blank line; the columns are its keys in the order
 * first seen; values kept as they are; a column is json if any value is an object or array,
 * string if it mixes types. Throws DatasetFormatError (400, or 413 over maxBytes) with the line.
 */
export function readUpload(body: Readable, format: DatasetFormat, limits: UploadLimits): UploadReader {
  return format === 'csv' ? readCsv(body, limits.maxBytes) : readJsonl(body, limits.maxBytes);
}
