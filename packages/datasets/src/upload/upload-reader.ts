import type { DatasetColumn, Row } from '../rows';

/** What an upload turned out to hold, known once its chunks are read to the end. */
export interface UploadSummary {
  columns: DatasetColumn[];
  rowCount: number;
  bytes: number;
}

/**
 * An upload being read: its rows in chunks of at most CHUNK_ROWS (CSV cells as raw text or
 * null, JSON Lines values as they are; coerceRow types them with the summary's columns), and,
 * once chunks is exhausted, the summary. Reading throws a DatasetFormatError when the upload
 * is not a dataset.
 */
export interface UploadReader {
  chunks: AsyncGenerator<Row[]>;
  summary(): UploadSummary;
}

/** The summary of a reader, or an error saying that chunks must be read first. */
export function finishedSummary(summary: UploadSummary | undefined): UploadSummary {
  if (!summary) throw new Error('an upload has a summary only once its chunks have been read to the end');
  return summary;
}
