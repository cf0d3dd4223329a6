import { ConnectionError, type ConveyorApiError, type Issue, apiError } from './errors';
import { parseRetryAfter } from './retry-after';
import { sleep } from './sleep';

export interface TransportOptions {
  /** The server's origin, or origin and path prefix; requests go to `<baseUrl>/api/v1/...`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /**
   * A browser's console session instead of a key: requests carry the session cookie
   * (`credentials: 'include'`), and those that change something `X-Conveyor-CSRF: 1`.
   */
  session?: boolean;
  /** Sent as `X-Conveyor-Tenant`: the tenant an admin acts for. */
  tenant?: string;
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
  /** Sent without the client's API key (signing in sends the key it is given instead). */
  withoutKey?: boolean;
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
    if (options.session && options.apiKey) throw new TypeError('give either apiKey or session: true, not both: a request carries one credential');
    if (!options.session && !options.apiKey) {
      throw new TypeError('apiKey is required: a tenant key (or an admin key for deadLetters); or, in a browser signed in to the console, session: true');
    }
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
    const init: RequestInit = {
      method: spec.method,
      headers: this.headersOf(spec),
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      signal: spec.signal,
      ...(this.options.session ? { credentials: 'include' } : {}),
    };
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

  /** The request's headers: JSON, and the credential (the key, or the session's CSRF header on a change), the tenant acted for. */
  private headersOf(spec: RequestSpec): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.options.apiKey && !spec.withoutKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
    if (this.options.session && spec.method !== 'GET') headers['X-Conveyor-CSRF'] = '1';
    if (this.options.tenant) headers['X-Conveyor-Tenant'] = this.options.tenant;
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
    return { ...headers, ...spec.headers };
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
