import type { Query, RequestSpec } from './http';

/** The options of `conveyor.request`. */
export interface RequestOptions {
  /** Query parameters; undefined ones are left out. */
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
  /**
   * Sent as the Idempotency-Key header. With one, a request whose connection broke before the
   * answer is sent again (the server answers a repeat with what the first one did); without
   * one, only a GET is.
   */
  idempotencyKey?: string;
}

export type RequestMethod = RequestSpec['method'];

const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] satisfies RequestMethod[];

/**
 * Refuses a path that would not name a route under /api/v1 of baseUrl: the URL is built by
 * concatenation, and fetch resolves dot segments (also percent-encoded, also after a
 * backslash), so `/../admin` would leave /api/v1.
 */
function checkPath(path: string): void {
  const refuse = (why: string) => {
    throw new TypeError(`conveyor.request: the path ${JSON.stringify(path)} ${why}`);
  };
  if (typeof path !== 'string' || !path.startsWith('/')) refuse("must start with '/' and be under /api/v1, e.g. '/posts'");
  if (/^\/\/|^[^?#]*:\/\//.test(path)) refuse('must be a path under /api/v1, not a URL: the client adds the baseUrl it was given');
  if (path.split(/[/\\]/).some((segment) => ['.', '..'].includes(segment.toLowerCase().replace(/%2e/g, '.'))))
    refuse("must not contain '.' or '..' segments: it would leave /api/v1");
  if (/[?#]/.test(path)) refuse("must not contain '?' or '#': give query parameters as options.query");
  if (path === '/api/v1' || path.startsWith('/api/v1/'))
    refuse(`is already under /api/v1: the client adds it, so pass '${path.slice('/api/v1'.length) || '/'}'`);
}

/** The transport's request for `conveyor.request(method, path, options)`, after checking them. */
export function requestSpec(method: RequestMethod, path: string, options: RequestOptions): RequestSpec {
  if (!METHODS.includes(method)) throw new TypeError(`conveyor.request: the method ${JSON.stringify(method)} is not one of ${METHODS.join(', ')}`);
  checkPath(path);
  return {
    method,
    path,
    query: options.query,
    body: options.body,
    signal: options.signal,
    headers: options.idempotencyKey === undefined ? undefined : { 'Idempotency-Key': options.idempotencyKey },
    // A GET changes nothing; a request with a key is answered once however often it comes.
    resendable: method === 'GET' || options.idempotencyKey !== undefined,
  };
}
