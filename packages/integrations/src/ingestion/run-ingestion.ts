import { DeferTaskError } from '@conveyor/contracts';
import type { Logger } from '@conveyor/observability';
import { type PageFetchDeps, fetchSourcePage } from './fetch-source-page';
import { IngestionRunError } from './ingestion-errors';
import type { IngestionMetrics } from './ingestion-metrics';
import type { RetryPolicy } from './retry-policy';
import { type IngestionRunReport, type IngestionSource, MalformedPageError, type SourceRecord, type TimeWindow } from './source';
import type { TokenBucket } from './token-bucket';
import { incrementalSpan, splitWindow } from './windows';

/** Where runs keep their state: packages/db in the worker (this package does not import it). */
export interface IngestionStore {
  /** Opens the run's audit record; returns its id. */
  startRun(run: { source: string; taskId: string | null; window: TimeWindow | null }): Promise<string>;
  /** Closes it once, with its outcome and counts. */
  finishRun(runId: string, report: IngestionRunReport): Promise<void>;
  upsert(source: string, records: readonly SourceRecord[]): Promise<{ inserted: number; updated: number; unchanged: number }>;
  watermark(source: string): Promise<Date | null>;
  /** Moves the watermark forward (never back). */
  advanceWatermark(source: string, to: Date): Promise<void>;
}

export interface IngestionRuntime {
  store: IngestionStore;
  limiter: PageFetchDeps['limiter'];
  secrets: { getSecret(name: string): Promise<string> };
  logger: Logger;
  allowHosts: readonly string[];
  retry: RetryPolicy;
  /** Milliseconds a run may take, all pages, waits and retries included. */
  runLimitMs: number;
  /** Buckets that replace sources' own (INGESTION_RATE_LIMITS). */
  rateLimits?: Partial<Record<string, TokenBucket>>;
  metrics?: IngestionMetrics;
  /** Backoffs longer than this defer the task instead of sleeping (30 s by default). */
  maxSleepMs?: number;
  now?: () => Date;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface IngestionRunRequest {
  taskId: string | null;
  /** An explicit window (a backfill or a re-run), which never moves the watermark; absent: from the watermark to now. */
  window?: TimeWindow;
  /** The task's signal (its own time limit, revocation, shutdown). */
  signal: AbortSignal;
  /** Told after each window: windows done of all. */
  onProgress?: (done: number, total: number) => Promise<void>;
}

/** Pages one window may have at most: a source whose cursor never ends is a malformed source. */
const MAX_PAGES_PER_WINDOW = 100_000;

/**
 * One run of a source, with everything a source does not declare itself: the windows (from
 * the watermark to now, in windows of the source's size, so a run after downtime catches up
 * with no gap; re-fetching is harmless, upserts never duplicate), the paging loop, the shared
 * rate limit, retries, the time limit, the upserts, the watermark after each window, the
 * audit record and the hooks. Returns the run's record: succeeded or failed (its error says
 * why, with no secret in it). A wait too long for the worker throws DeferTaskError after
 * recording the run as deferred; the task's own abort rethrows its reason after recording it.
 */
export async function runIngestion(source: IngestionSource, request: IngestionRunRequest, rt: IngestionRuntime): Promise<IngestionRunReport> {
  const now = rt.now?.() ?? new Date();
  const span = request.window ?? incrementalSpan(await rt.store.watermark(source.name), now, source.initialLookbackMs);
  const runId = await rt.store.startRun({ source: source.name, taskId: request.taskId, window: span });
  const report: IngestionRunReport = {
    runId,
    source: source.name,
    status: 'succeeded',
    window: span,
    pages: 0,
    fetched: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    retries: 0,
    rateLimitWaits: 0,
    error: null,
  };
  const timeLimit = AbortSignal.timeout(rt.runLimitMs);
  const signal = AbortSignal.any([request.signal, timeLimit]);
  let rethrow: unknown;
  try {
    if (span) await walk(source, span, !request.window, { request, rt, report, signal });
  } catch (error) {
    if (error instanceof DeferTaskError) {
      report.status = 'deferred';
      report.error = { type: 'deferred', message: error.message };
      rethrow = error;
    } else {
      report.status = 'failed';
      report.error = describeFailure(error, source, report, rt.runLimitMs, timeLimit);
      if (request.signal.aborted) rethrow = request.signal.reason;
    }
  }
  await finish(source, report, rt);
  if (rethrow) throw rethrow;
  return report;
}

interface Walk {
  request: IngestionRunRequest;
  rt: IngestionRuntime;
  report: IngestionRunReport;
  signal: AbortSignal;
}

async function walk(source: IngestionSource, span: TimeWindow, incremental: boolean, { request, rt, report, signal }: Walk): Promise<void> {
  const secrets = await readSecrets(source, rt);
  const counters = { retries: 0, rateLimitWaits: 0 };
  const deps: PageFetchDeps = {
    source: source.name,
    bucket: rt.rateLimits?.[source.name] ?? source.rateLimit,
    limiter: rt.limiter,
    retry: rt.retry,
    allowHosts: rt.allowHosts,
    signal,
    maxSleepMs: rt.maxSleepMs ?? 30_000,
    secretValues: Object.values(secrets),
    sleep: rt.sleep ?? abortableSleep,
    random: rt.random ?? Math.random,
    counters,
  };
  const windows = splitWindow(span, source.windowMs);
  try {
    for (const [index, window] of windows.entries()) {
      const records = await walkWindow(source, window, secrets, deps, report, rt);
      if (incremental) await rt.store.advanceWatermark(source.name, source.watermark?.(window, records) ?? window.to);
      await request.onProgress?.(index + 1, windows.length);
    }
  } finally {
    report.retries = counters.retries;
    report.rateLimitWaits = counters.rateLimitWaits;
  }
}

/** Every page of one window, upserted page by page; returns the window's records when the source's watermark needs them. */
async function walkWindow(
  source: IngestionSource,
  window: TimeWindow,
  secrets: Record<string, string>,
  deps: PageFetchDeps,
  report: IngestionRunReport,
  rt: IngestionRuntime,
): Promise<SourceRecord[]> {
  const kept: SourceRecord[] = [];
  let cursor: unknown;
  for (let page = 1; ; page++) {
    deps.signal.throwIfAborted();
    const what = `${source.name} page ${page} of ${window.from.toISOString()}..${window.to.toISOString()}`;
    if (page > MAX_PAGES_PER_WINDOW) throw new IngestionRunError('malformed_page', `${what}: more than ${MAX_PAGES_PER_WINDOW} pages in one window`);
    const ctx = { window, cursor, secrets };
    const body = await fetchSourcePage(source.request(ctx), what, deps);
    let parsed;
    try {
      parsed = source.parse(body, ctx);
    } catch (error) {
      if (error instanceof MalformedPageError)
        throw new IngestionRunError('malformed_page', `${what} is malformed: ${error.message}`, undefined, { cause: error });
      throw error;
    }
    const counts = await rt.store.upsert(source.name, parsed.records);
    report.pages++;
    report.fetched += parsed.records.length;
    report.inserted += counts.inserted;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
    rt.metrics?.pages.inc({ source: source.name });
    if (source.watermark) kept.push(...parsed.records);
    if (parsed.next === undefined) return kept;
    if (JSON.stringify(parsed.next) === JSON.stringify(cursor)) {
      throw new IngestionRunError('malformed_page', `${what}: the next page's cursor is the same as this page's; the source does not advance`);
    }
    cursor = parsed.next;
  }
}

async function readSecrets(source: IngestionSource, rt: IngestionRuntime): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  for (const name of source.secrets) {
    try {
      secrets[name] = await rt.secrets.getSecret(name);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new IngestionRunError('missing_secret', `${source.name} needs the secret ${name}, which could not be read: ${why}`);
    }
  }
  return secrets;
}

function describeFailure(error: unknown, source: IngestionSource, report: IngestionRunReport, limitMs: number, timeLimit: AbortSignal) {
  if (timeLimit.aborted) {
    return {
      type: 'time_limit',
      message: `the run of ${source.name} passed its limit of ${+(limitMs / 1000).toFixed(1)} s after ${report.pages} pages; the next run continues from the watermark`,
    };
  }
  if (error instanceof IngestionRunError) return { type: error.type, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'internal', message: `the run of ${source.name} failed: ${message}` };
}

async function finish(source: IngestionSource, report: IngestionRunReport, rt: IngestionRuntime): Promise<void> {
  await rt.store.finishRun(report.runId, report);
  rt.metrics?.runs.inc({ source: source.name, status: report.status });
  for (const outcome of ['inserted', 'updated', 'unchanged'] as const) rt.metrics?.records.inc({ source: source.name, outcome }, report[outcome]);
  if (report.retries) rt.metrics?.retries.inc({ source: source.name }, report.retries);
  const fields = { ...runCounts(report), status: report.status, error: report.error };
  if (report.status === 'failed') rt.logger.warn('ingestion run failed', fields);
  else rt.logger.info(`ingestion run ${report.status}`, fields);
  const hook = report.status === 'succeeded' ? source.onSuccess : report.status === 'failed' ? source.onFailure : undefined;
  if (!hook) return;
  try {
    await hook.call(source, report);
  } catch (error) {
    rt.logger.warn(`the ${report.status === 'succeeded' ? 'onSuccess' : 'onFailure'} hook of ${source.name} failed`, { run_id: report.runId, error });
  }
}

/** A run's record as a task result and a log line carry it (snake_case, times as ISO text). */
export function runCounts(report: IngestionRunReport) {
  return {
    run_id: report.runId,
    source: report.source,
    window_from: report.window?.from.toISOString() ?? null,
    window_to: report.window?.to.toISOString() ?? null,
    pages: report.pages,
    fetched: report.fetched,
    inserted: report.inserted,
    updated: report.updated,
    unchanged: report.unchanged,
    retries: report.retries,
    rate_limit_waits: report.rateLimitWaits,
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(timer), reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
