import { parseAllowedHost, type AllowedHost } from '@conveyor/contracts';
import { UnsafeUrlError } from './fetch-errors';

const SCHEMES = new Set(['http:', 'https:']);

/**
 * A URL as errors and messages may show it: scheme, host and path, without credentials, query
 * or fragment (a signed URL's token lives in its query), the path cut at 200 characters.
 */
export function describeUrl(url: URL): string {
  const path = url.pathname.length > 200 ? `${url.pathname.slice(0, 200)}…` : url.pathname;
  return `${url.protocol}//${url.host}${path}${url.search ? '?…' : ''}`;
}

/**
 * Parses `text` (resolved against `base` for a redirect's Location) and refuses what safeFetch
 * never fetches whatever the host: a scheme other than http: and https:, and credentials in
 * the URL (user:pass@host), which would travel in clear to wherever the URL points.
 */
export function parseFetchableUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new UnsafeUrlError(`${JSON.stringify(text.slice(0, 200))} is not a valid URL`, 'invalid_url');
  }
  if (!SCHEMES.has(url.protocol)) throw new UnsafeUrlError(`scheme ${url.protocol} is not allowed (only http: and https:)`, 'scheme');
  if (url.username || url.password)
    throw new UnsafeUrlError(`${describeUrl(url)} carries credentials (user:password@); they are not allowed in a fetched URL`, 'credentials');
  return url;
}

/** The operator's allowlist, parsed once per fetch; an entry that is not host[:port] is a programming error. */
export function parseAllowHosts(entries: readonly string[] = []): AllowedHost[] {
  return entries.map((entry) => {
    const host = parseAllowedHost(entry);
    if (!host) throw new TypeError(`allowHosts: "${entry}" is not host or host:port`);
    return host;
  });
}

/** Whether the URL's host and port are on the allowlist; an entry without a port covers only the scheme's default port. */
export function isAllowedHost(url: URL, allowHosts: readonly AllowedHost[]): boolean {
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  return allowHosts.some((host) => host.hostname === url.hostname && (host.port ?? defaultPort) === port);
}
