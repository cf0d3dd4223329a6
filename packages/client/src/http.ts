import { ConnectionError, type ConveyorApiError, type Issue, apiError } from './errors';
import { parseRetryAfter } from './retry-after';
import { sleep } from './sleep';

export interface TransportOptions {
  /** The server's origin, or origin and path prefix; requests go to `<baseUrl>/api/v1/...`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  fetch?: typeof fetch;
  maxRetries?: number;
  maxRetryDelayMs?: number;
}

/** Query parameters; an undefined value is left out. */
export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under /api/v1, starting with a slash. */
  path: string;
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Safe to send again when the connection broke before an answer: true for reads and for
   * submissions carrying an idempotency key; a cancel, say, might have happened.
   */
  resendable: boolean;
  signal?: AbortSignal;
  /** Retries of 429 and 503 for this request (default: the client's maxRetries). */
  maxRetries?: number;
}

/** Backoff between retries that the server gave no Retry-After for: 0.5 s, 1 s, 2 s, … */
const backoffMs = (retry: number) => 500 * 2 ** retry;

/**
 * Sends requests to the API: JSON in and out, the API key, and the retries (429 and 503 after
 * their Retry-After, network errors of resendable requests with backoff). Any other answer
 * that is not 2xx becomes the typed error of its status.
 */
export class Transport {
  readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly maxRetries: number;
  private readonly maxRetryDelayMs: number;

  constructor(private readonly options: TransportOptions) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required: the Conveyor server, e.g. http://127.0.0.1:3000');
    if (!options.apiKey) throw new TypeError('apiKey is required: a tenant key (or an admin key for deadLetters)');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Bound: a browser's fetch called as a method of another object throws "Illegal invocation".
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
  }

  url(path: string, query: Query = {}): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    const text = search.toString();
    return `${this.baseUrl}/api/v1${path}${text ? `?${text}` : ''}`;
  }

  /** The answer's parsed JSON body (undefined for 204). */
  async json<T>(spec: RequestSpec): Promise<{ status: number; body: T }> {
    const response = await this.send(spec);
    if (response.status === 204) return { status: 204, body: undefined as T };
    return { status: response.status, body: (await response.json()) as T };
  }

  /** The 2xx response, body unread; everything else as an error, after the retries allowed. */
  async send(spec: RequestSpec): Promise<Response> {
    const url = this.url(spec.path, spec.query);
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${this.options.apiKey}`, ...spec.headers };
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
    const init: RequestInit = { method: spec.method, headers, body: spec.body === undefined ? undefined : JSON.stringify(spec.body), signal: spec.signal };
    const allowed = spec.maxRetries ?? this.maxRetries;
    for (let retry = 0; ; retry += 1) {
      let response: Response;
      try {
        response = await this.fetch(url, init);
      } catch (cause) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        const retrying = spec.resendable && retry < allowed;
        if (!retrying) throw this.connectionError(spec, cause, retry);
        await sleep(Math.min(backoffMs(retry), this.maxRetryDelayMs), spec.signal);
        continue;
      }
      if (response.ok) return response;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const retryable = response.status === 429 || response.status === 503;
      const waitMs = retryAfterMs ?? backoffMs(retry);
      if (retryable && retry < allowed && waitMs <= this.maxRetryDelayMs) {
        await response.body?.cancel().catch(() => undefined);
        await sleep(waitMs, spec.signal);
        continue;
      }
      const note = !retryable
        ? undefined
        : retry >= allowed
          ? `gave up after ${retry} ${retry === 1 ? 'retry' : 'retries'} (maxRetries ${allowed})`
          : `not retried: the server asked to wait ${Math.ceil(waitMs / 1000)} s, longer than maxRetryDelayMs (${this.maxRetryDelayMs} ms)`;
      throw await this.errorOf(response, spec, retryAfterMs, note);
    }
  }

  private connectionError(spec: RequestSpec, cause: unknown, retries: number): ConnectionError {
    const why = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
    const tried =
      retries > 0 ? ` (after ${retries} ${retries === 1 ? 'retry' : 'retries'})` : spec.resendable ? '' : ' (not retried: it may have reached the server)';
    return new ConnectionError(
      `Could not reach the Conveyor API for ${spec.method} /api/v1${spec.path}${tried}: ${why}; check baseUrl (${this.baseUrl}) and that the server is running`,
      { cause },
    );
  }

  private async errorOf(response: Response, spec: RequestSpec, retryAfterMs: number | undefined, note: string | undefined): Promise<ConveyorApiError> {
    const text = await response.text().catch(() => '');
    const body = safeJson(text) as { error?: unknown; message?: unknown; issues?: unknown; request_id?: unknown } | undefined;
    const fromApi = typeof body?.error === 'string' && typeof body.message === 'string';
    return apiError({
      status: response.status,
      code: fromApi ? (body!.error as string) : `http_${response.status}`,
      message: fromApi
        ? (body!.message as string)
        : `The server answered ${response.status} ${response.statusText} without a Conveyor error body (a proxy in between?)${text ? `: ${text.slice(0, 200)}` : ''}`,
      issues: fromApi && Array.isArray(body!.issues) ? (body!.issues as Issue[]) : undefined,
      retryAfterMs,
      requestId: typeof body?.request_id === 'string' ? body.request_id : (response.headers.get('x-request-id') ?? undefined),
      method: spec.method,
      path: `/api/v1${spec.path}`,
      note,
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
