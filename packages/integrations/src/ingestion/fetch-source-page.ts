import { DeferTaskError } from '@conveyor/contracts';
import { FetchRefusedError, UnsafeUrlError, safeFetch } from '../fetch';
import { IngestionRunError } from './ingestion-errors';
import { type RetryPolicy, backoffMs, isRetryableStatus, retryAfterMs } from './retry-policy';
import type { PageRequest } from './source';
import type { TokenBucket } from './token-bucket';

/** What fetching one page needs from the run. */
export interface PageFetchDeps {
  source: string;
  bucket: TokenBucket;
  limiter: { acquire(source: string, bucket: TokenBucket, signal?: AbortSignal): Promise<number> };
  retry: RetryPolicy;
  /** host[:port] entries a source may be at although private (the simulators on loopback). */
  allowHosts: readonly string[];
  /** The run's signal: its time limit and the task's own. */
  signal: AbortSignal;
  /** Backoffs longer than this are not slept in the worker: the task is deferred instead. */
  maxSleepMs: number;
  /** Values that must never appear in a message (the run's secrets). */
  secretValues: readonly string[];
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** Counts the run's retries and rate-limit waits. */
  counters: { retries: number; rateLimitWaits: number };
}

/** Largest page accepted: a Comtrade or World Bank page of thousands of rows is a few MB. */
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
/** One request's time limit (the run's own limit bounds them all). */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * GETs one page of a source and returns its body, parsed as JSON when it is JSON (the text
 * otherwise, for the source to judge). Each try first takes a token from the source's shared
 * bucket. 429, 408, 5xx and network failures are retried with backoff and jitter, never sooner
 * than Retry-After, up to the policy's count; a wait too long for the worker defers the task.
 * Any other 4xx fails at once with the source's own message. `what` names the page in errors.
 */
export async function fetchSourcePage(request: PageRequest, what: string, deps: PageFetchDeps): Promise<unknown> {
  for (let retry = 0; ; retry++) {
    deps.counters.rateLimitWaits += await deps.limiter.acquire(deps.source, deps.bucket, deps.signal);
    const answer = await getOnce(request, what, deps);
    if ('body' in answer) return answer.body;

    const exhausted = retry >= deps.retry.maxRetries;
    if (exhausted) {
      throw new IngestionRunError('retries_exhausted', `${what}: ${answer.problem}, ${retry + 1} times; giving up after ${retry} retries`, answer.status);
    }
    const waitMs = backoffMs(deps.retry, retry + 1, answer.retryAfterMs, deps.random);
    if (waitMs > deps.maxSleepMs) {
      throw new DeferTaskError(`${what}: ${answer.problem}; the source asks to wait ${Math.ceil(waitMs / 1000)} s, so the run continues later`, waitMs);
    }
    deps.counters.retries++;
    await deps.sleep(waitMs, deps.signal);
  }
}

type Try = { body: unknown } | { problem: string; status?: number; retryAfterMs?: number };

async function getOnce(request: PageRequest, what: string, deps: PageFetchDeps): Promise<Try> {
  let result;
  try {
    result = await safeFetch(request.url, {
      maxBytes: MAX_PAGE_BYTES,
      timeoutMs: REQUEST_TIMEOUT_MS,
      maxRedirects: 3,
      signal: deps.signal,
      headers: { accept: 'application/json', ...request.headers },
      allowHosts: deps.allowHosts,
      what,
      anyStatus: true,
    });
  } catch (error) {
    if (deps.signal.aborted) throw deps.signal.reason;
    if (error instanceof UnsafeUrlError) throw new IngestionRunError('unsafe_url', `${what}: ${error.message}`, undefined, { cause: error });
    if (error instanceof FetchRefusedError && !error.permanent) return { problem: error.message };
    const message = error instanceof Error ? error.message : String(error);
    throw new IngestionRunError('source_error', `${what}: ${message}`, undefined, { cause: error });
  }
  const text = result.bytes.toString('utf8');
  const body = parseJson(text);
  if (result.status >= 200 && result.status < 300) return { body };
  const problem = `answered ${result.status}${sourceMessage(body, deps.secretValues)}`;
  if (isRetryableStatus(result.status)) return { problem, status: result.status, retryAfterMs: retryAfterMs(result.headers.get('retry-after'), Date.now()) };
  throw new IngestionRunError('source_error', `${what} ${problem}`, result.status);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const MESSAGE_KEYS = ['error_message', 'message', 'error', 'detail', 'title', 'value'];

/**
 * The source's own words from an error body (FRED's error_message, ReliefWeb's error.message,
 * the World Bank's message[].value, Comtrade's message, or the text itself): ": <message>",
 * at most 300 characters, with the run's secrets replaced by ***.
 */
export function sourceMessage(body: unknown, secretValues: readonly string[]): string {
  const found = findMessage(body, 0);
  if (!found) return '';
  let message = found.replace(/\s+/g, ' ').trim().slice(0, 300);
  for (const secret of secretValues) if (secret) message = message.split(secret).join('***');
  return message ? `: ${message}` : '';
}

function findMessage(value: unknown, depth: number): string | undefined {
  if (depth > 4) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value.slice(0, 5)) {
      const found = findMessage(item, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of MESSAGE_KEYS) {
      const found = key in record ? findMessage(record[key], depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}
