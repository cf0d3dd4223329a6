import { Agent, fetch, Headers } from 'undici';
import { classifyFailure } from './classify-failure';
import { FetchRefusedError, SafeFetchError, UnsafeUrlError } from './fetch-errors';
import { countRefusal } from './fetch-metrics';
import { pinnedLookup } from './pinned-lookup';
import { readCappedBody } from './read-capped-body';
import { checkedAddresses, systemResolver, type HostResolver } from './resolve-host';
import { checkDeclaredLength, checkedContentType, checkStatus, REDIRECT_STATUSES, tooLargeWhileReading } from './response-checks';
import { describeUrl, isAllowedHost, parseAllowHosts, parseFetchableUrl } from './url-policy';

export interface SafeFetchOptions {
  /** Largest body accepted, in bytes; a bigger one is refused by its Content-Length or as soon as the stream passes it. */
  maxBytes: number;
  /** Media types accepted (parameters such as `; charset` are ignored); any when unset. */
  allowedTypes?: readonly string[];
  /** Milliseconds for the whole fetch, redirects and body included (default 30 000). */
  timeoutMs?: number;
  /** Redirects followed at most (default 5); each Location is checked like the first URL. */
  maxRedirects?: number;
  /** The caller's abort (a task's signal); aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Extra request headers, sent only to the first URL's origin, never to where it redirects. */
  headers?: Record<string, string>;
  /**
   * `host[:port]` entries exempt from the private-address check (an internal CDN; 127.0.0.1:<port>
   * in tests and local runs). An operator setting (MEDIA_FETCH_ALLOW_HOSTS), never user input.
   * A host without a port covers only the scheme's default port. Metadata addresses stay refused.
   */
  allowHosts?: readonly string[];
  /** What is fetched, for messages: "… at most 5 MB allowed for image". */
  what?: string;
  /** How host names become addresses (default: dns.promises.lookup, all addresses). A seam for tests. */
  resolve?: HostResolver;
  /**
   * Return an answer that is neither 2xx nor a redirect (its body within the same limits, its
   * status and headers) instead of refusing it: for a caller that reads an API's error body
   * and Retry-After itself. Its type is not checked against allowedTypes.
   */
  anyStatus?: boolean;
  /** GET unless said. A POST (with `body`, e.g. a webhook) follows no redirect: a 3xx answer is refused. */
  method?: 'GET' | 'POST';
  body?: string;
}

export interface SafeFetchResult {
  bytes: Buffer;
  /** The answer's media type without parameters, lower-case. */
  contentType: string;
  /** The URL the body came from, after redirects. */
  finalUrl: string;
  /** The HTTP status: 2xx unless anyStatus was set. */
  status: number;
  headers: Headers;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_REDIRECTS = 5;

type Hop = { redirect: string } | { result: SafeFetchResult };

/**
 * Fetches a URL a user gave, refusing what would let them reach inside: only http(s), no
 * credentials in the URL, no host resolving to a private, loopback, link-local, unique-local,
 * reserved or metadata address (unless the operator allowed it), every redirect checked the
 * same way, the connection pinned to the checked addresses (no DNS rebinding), the body
 * bounded by size and type. Throws UnsafeUrlError or FetchRefusedError, each saying whether
 * it is `permanent`; each is counted in conveyor_fetch_refused_total{reason}.
 */
export async function safeFetch(url: string, options: SafeFetchOptions): Promise<SafeFetchResult> {
  try {
    return await followRedirects(url, options);
  } catch (error) {
    if (error instanceof SafeFetchError) countRefusal(error.reason);
    throw error;
  }
}

async function followRedirects(url: string, options: SafeFetchOptions): Promise<SafeFetchResult> {
  const allowHosts = parseAllowHosts(options.allowHosts);
  const maxRedirects = options.method === 'POST' ? 0 : (options.maxRedirects ?? DEFAULT_MAX_REDIRECTS);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const first = parseFetchableUrl(url);
  let hop: HopRequest = { url: first, headers: options.headers, allowHosts, signal };
  for (let redirects = 0; ; redirects++) {
    let outcome: Hop;
    try {
      outcome = await fetchHop(hop, options);
    } catch (error) {
      throw classifyFailure(error, describeUrl(hop.url), options.signal, timeout, timeoutMs);
    }
    if ('result' in outcome) return outcome.result;
    if (redirects >= maxRedirects) {
      throw new FetchRefusedError(`${describeUrl(first)} redirects more than ${maxRedirects} times`, 'too_many_redirects', true);
    }
    let next: URL;
    try {
      next = parseFetchableUrl(outcome.redirect, hop.url);
    } catch (error) {
      throw asRedirectRefusal(error, hop.url);
    }
    hop = { url: next, headers: next.origin === first.origin ? options.headers : undefined, allowHosts, signal, redirectedFrom: hop.url };
  }
}

interface HopRequest {
  url: URL;
  /** The caller's headers, or none once a redirect left the first URL's origin. */
  headers: Record<string, string> | undefined;
  allowHosts: ReturnType<typeof parseAllowHosts>;
  signal: AbortSignal;
  /** Set when this hop follows a redirect, so a refusal says which hop went astray. */
  redirectedFrom?: URL;
}

/** A refused redirect target, named as such: "redirect from http://a/x refused: http://10.0.0.1/ resolves to …". */
function asRedirectRefusal(error: unknown, from: URL): unknown {
  if (!(error instanceof UnsafeUrlError)) return error;
  return new UnsafeUrlError(`redirect from ${describeUrl(from)} refused: ${error.message}`, error.reason);
}

/** One request: check the host's addresses, connect only to them, and read the answer or where it redirects. */
async function fetchHop({ url, headers, allowHosts, signal, redirectedFrom }: HopRequest, options: SafeFetchOptions): Promise<Hop> {
  const where = describeUrl(url);
  const addresses = await checkedAddresses(url, isAllowedHost(url, allowHosts), options.resolve ?? systemResolver, signal).catch((error: unknown) => {
    throw redirectedFrom ? asRedirectRefusal(error, redirectedFrom) : error;
  });
  // An agent per hop: its connections go to this hop's checked addresses and nowhere else.
  const agent = new Agent({ connect: { lookup: pinnedLookup(addresses) } });
  const requestHeaders = new Headers(headers);
  if (!requestHeaders.has('accept')) requestHeaders.set('accept', options.allowedTypes?.join(', ') ?? '*/*');
  try {
    const response = await fetch(url, {
      dispatcher: agent,
      redirect: 'manual',
      signal,
      headers: requestHeaders,
      method: options.method ?? 'GET',
      body: options.body,
    });
    if (REDIRECT_STATUSES.has(response.status)) {
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (!location) throw new FetchRefusedError(`${where} answered ${response.status} without a Location`, 'status', true, response.status);
      return { redirect: location };
    }
    const ok = response.status >= 200 && response.status < 300;
    if (!options.anyStatus) checkStatus(response.status, where);
    checkDeclaredLength(response.headers, options.maxBytes, where, options.what);
    const contentType = checkedContentType(response.headers, ok ? options.allowedTypes : undefined, where);
    const bytes = await readCappedBody(response.body, options.maxBytes, () => tooLargeWhileReading(options.maxBytes, where, options.what));
    return { result: { bytes, contentType, finalUrl: url.href, status: response.status, headers: response.headers } };
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}

/**
 * Checks, without fetching, that safeFetch may reach the URL now: its scheme and form, and every
 * address its host resolves to (private ones refused unless allowHosts names the host). For a
 * URL kept to be fetched later (a webhook): safeFetch checks again at each fetch, since DNS may
 * answer differently by then. Throws UnsafeUrlError or FetchRefusedError (a host that does not resolve).
 */
export async function checkFetchableUrl(
  url: string,
  options: { allowHosts?: readonly string[]; timeoutMs?: number; resolve?: HostResolver } = {},
): Promise<void> {
  try {
    const parsed = parseFetchableUrl(url);
    const signal = AbortSignal.timeout(options.timeoutMs ?? 5_000);
    await checkedAddresses(parsed, isAllowedHost(parsed, parseAllowHosts(options.allowHosts)), options.resolve ?? systemResolver, signal);
  } catch (error) {
    if (error instanceof SafeFetchError) countRefusal(error.reason);
    throw error;
  }
}
