import { randomUUID } from 'node:crypto';
import { DATASET_CONTENT_TYPES, type DatasetFormat } from '@conveyor/contracts';
import { DatasetFormatError, megabytes, readUpload } from '@conveyor/datasets';
import { type Database, type DatasetNode, DatasetSessionNotFoundError, type Plan, writeNode } from '@conveyor/db';
import type { Request } from 'express';
import type { Kysely } from 'kysely';
import { HttpError } from './http-error';

/** Bytes an upload may have, by the tenant's plan (DATASET_UPLOAD_LIMITS). */
export type UploadLimits = Record<Plan | 'admin', number>;

const FORMAT_NAMES: Record<DatasetFormat, string> = { csv: 'CSV', jsonl: 'JSON Lines' };
const ACCEPTED = 'CSV (Content-Type: text/csv) or JSON Lines (Content-Type: application/x-ndjson or application/jsonl)';
const UTF8 = new Set(['utf-8', 'utf8']);

/**
 * The format the request's Content-Type names, or a 400 saying what to send (415 is not among
 * the API's statuses). Only UTF-8 and an uncompressed body are read.
 */
export function uploadFormatOf(req: Request): DatasetFormat {
  const header = req.get('content-type');
  const [type = '', ...parameters] = (header ?? '').split(';').map((part) => part.trim());
  const mediaType = type.toLowerCase();
  if (!Object.hasOwn(DATASET_CONTENT_TYPES, mediaType)) {
    const sent = header ? `Content-Type ${header.slice(0, 100)}` : 'no Content-Type';
    throw new HttpError(400, 'unsupported_content_type', `Send the dataset as ${ACCEPTED}, not ${sent}`);
  }
  const charset = parameters.find((p) => p.toLowerCase().startsWith('charset='))?.slice('charset='.length);
  if (charset !== undefined && !UTF8.has(charset.replace(/"/g, '').toLowerCase())) {
    throw new HttpError(400, 'unsupported_charset', `Send the dataset encoded as UTF-8 (charset=utf-8), not ${charset.slice(0, 40)}`);
  }
  const encoding = req.get('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') {
    throw new HttpError(400, 'unsupported_encoding', `Send the dataset uncompressed, without Content-Encoding (not ${encoding.slice(0, 40)})`);
  }
  return DATASET_CONTENT_TYPES[mediaType as keyof typeof DATASET_CONTENT_TYPES];
}

/**
 * An error answered before the whole body was read closes the connection (Connection: close),
 * so the rest of a large upload is not read only to be thrown away.
 */
export function closingUnlessRead(req: Request, error: unknown): unknown {
  if (error instanceof HttpError && !req.complete) error.headers.Connection = 'close';
  return error;
}

/** A 413 for a Content-Length over the plan's limit, before a byte of the body is read. */
export function refuseDeclaredSize(req: Request, maxBytes: number): void {
  const declared = Number(req.get('content-length'));
  if (!(declared > maxBytes)) return;
  throw new HttpError(
    413,
    'payload_too_large',
    `The upload (${declared} bytes) is larger than your plan's limit of ${megabytes(maxBytes)}; send a smaller file`,
  );
}

const count = (n: number, what: string) => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;

/** What a root node says it is: "Uploaded people.csv (1,000 rows, 5 columns)". */
function uploadDescription(filename: string | undefined, format: DatasetFormat, rows: number, columns: number): string {
  return `Uploaded ${filename ?? `a ${FORMAT_NAMES[format]} file`} (${count(rows, 'row')}, ${count(columns, 'column')})`;
}

export interface UploadInput {
  tenantId: string;
  sessionId: string;
  format: DatasetFormat;
  filename: string | undefined;
  maxBytes: number;
}

/**
 * Streams the request's body into a new root node of the session, and moves the session's
 * head to it: readUpload reads it in chunks, writeNode stores them as they come, in one
 * transaction. A body that is not a dataset (400, naming the line), passes the plan's limit
 * (413) or stops short (the client went away) leaves nothing stored.
 */
export async function uploadDataset(db: Kysely<Database>, req: Request, input: UploadInput): Promise<DatasetNode> {
  const reader = readUpload(req, input.format, { maxBytes: input.maxBytes });
  const interrupted = new AbortController();
  const onClose = () => {
    if (!req.complete) interrupted.abort(new Error('the client closed the connection before the end of the upload'));
  };
  req.on('close', onClose);
  try {
    return await writeNode(db, {
      id: randomUUID(),
      sessionId: input.sessionId,
      tenantId: input.tenantId,
      parentId: null,
      taskId: null,
      program: null,
      source: { format: input.format, filename: input.filename ?? null, bytes: 0 },
      chunks: reader.chunks,
      finish: () => {
        const summary = reader.summary();
        return {
          columns: summary.columns,
          transformation: uploadDescription(input.filename, input.format, summary.rowCount, summary.columns.length),
          rowsAffected: summary.rowCount,
          source: { format: input.format, filename: input.filename ?? null, bytes: summary.bytes },
        };
      },
      signal: interrupted.signal,
    });
  } catch (error) {
    if (error instanceof DatasetFormatError) {
      const code = error.status === 413 ? 'payload_too_large' : 'invalid_dataset';
      throw new HttpError(error.status, code, `${error.message}; nothing was stored`);
    }
    if (error instanceof DatasetSessionNotFoundError) throw new HttpError(404, 'session_not_found', `No session ${input.sessionId} (it was deleted)`);
    // No one hears this answer, but it is not a 500 in the logs: the client left.
    if (interrupted.signal.aborted || req.destroyed) {
      throw new HttpError(400, 'upload_interrupted', 'The upload stopped before its end (the connection closed); nothing was stored; send it again');
    }
    throw error;
  } finally {
    req.off('close', onClose);
  }
}
