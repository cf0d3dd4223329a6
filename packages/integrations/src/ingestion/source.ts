import type { IngestedRecord, IngestionRunTotals, IngestionSourceName } from '@conveyor/contracts';
import type { TokenBucket } from './token-bucket';

// What a source declares; everything else (the window, paging loop, rate limit, retries, time
// limit, upserts, the audit trail and the hooks) comes from the framework in run-ingestion.ts.

/** One record a source made from a page (the shape Postgres stores, from contracts). */
export type SourceRecord = IngestedRecord;

/** A span of source time, [from, to). */
export interface TimeWindow {
  from: Date;
  to: Date;
}

/** What a source is told to build one page's request. */
export interface PageContext<Cursor> {
  window: TimeWindow;
  /** Where the previous page of this window left off; undefined for the window's first page. */
  cursor: Cursor | undefined;
  /** The secrets the source declared, by name, read through the secrets provider for this run. */
  secrets: Readonly<Record<string, string>>;
}

/** One HTTP GET. Never log it: its query or headers may carry a secret. */
export interface PageRequest {
  url: string;
  headers?: Record<string, string>;
}

export interface ParsedPage<Cursor> {
  records: SourceRecord[];
  /** The cursor of the window's next page; undefined when the window is done. */
  next?: Cursor;
}

/** A finished run as the audit trail has it: what hooks are called with. */
export interface IngestionRunReport extends IngestionRunTotals {
  runId: string;
  source: IngestionSourceName;
  status: 'succeeded' | 'failed' | 'deferred';
  window: TimeWindow | null;
  error: { type: string; message: string } | null;
}

export interface IngestionSource<Cursor = unknown> {
  name: IngestionSourceName;
  /** The span of one window: a run that catches up after downtime walks windows of this size. */
  windowMs: number;
  /** Where the first run begins when there is no watermark yet: this long before now. */
  initialLookbackMs: number;
  /** The source's own token bucket (INGESTION_RATE_LIMITS replaces it). */
  rateLimit: TokenBucket;
  /** Secrets every run needs (FRED_API_KEY); a missing one fails the run, naming it. */
  secrets: readonly string[];
  /** The request of one page of a window. */
  request(ctx: PageContext<Cursor>): PageRequest;
  /**
   * The page's JSON (already parsed) as records and the next page's cursor. Throws
   * MalformedPageError when the page is not what the source documents.
   */
  parse(body: unknown, ctx: PageContext<Cursor>): ParsedPage<Cursor>;
  /**
   * Where the next incremental run starts once this window is done; window.to by default. A
   * source whose data is dated, not timed (FRED observations), may say the last date it saw.
   */
  watermark?(window: TimeWindow, records: readonly SourceRecord[]): Date;
  /** Called once per run that succeeded, with its audit record. An error here is logged, not the run's. */
  onSuccess?(run: IngestionRunReport): void | Promise<void>;
  /** Called once per run that failed, with its audit record. */
  onFailure?(run: IngestionRunReport): void | Promise<void>;
}

/** A page that is not what the source documents: the run fails with this message in the audit trail. */
export class MalformedPageError extends Error {
  override name = 'MalformedPageError';
  readonly code = 'MALFORMED_PAGE';
}
