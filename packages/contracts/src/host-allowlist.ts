import { z } from 'zod';

/** One entry of an operator's host allowlist: a host and, when given, the one port it covers. */
export interface AllowedHost {
  /** As a URL writes it: lowercase, IPv4 dotted, IPv6 in brackets. */
  hostname: string;
  /** Undefined: only the scheme's default port (80 for http:, 443 for https:). */
  port?: number;
}

const HOST_PORT = /^(?<host>\[[0-9A-Fa-f:.]+\]|[^\s:/?#@\\[\]]+)(?::(?<port>\d{1,5}))?$/;

/**
 * Parses `host[:port]` the way the WHATWG URL parser writes a URL's host, so an entry and a
 * URL compare as strings whatever form either was written in (`LOCALHOST`, `127.1`, `[::1]`).
 * Undefined when the text is not host[:port] (a scheme, path, credentials or bad port).
 */
export function parseAllowedHost(text: string): AllowedHost | undefined {
  const match = HOST_PORT.exec(text.trim());
  if (!match?.groups) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${match.groups.host}`).hostname;
  } catch {
    return undefined;
  }
  if (match.groups.port === undefined) return { hostname };
  const port = Number(match.groups.port);
  return port >= 1 && port <= 65535 ? { hostname, port } : undefined;
}

/** The canonical text of an entry: `hostname` or `hostname:port`. */
export function allowedHostText(host: AllowedHost): string {
  return host.port === undefined ? host.hostname : `${host.hostname}:${host.port}`;
}

/**
 * `host[:port],host[:port],…` (an environment variable): parsed into canonical entries; an
 * entry that is not host[:port] is refused, naming it.
 */
export const hostAllowlistText = z.string().transform((text, ctx): string[] => {
  const hosts: string[] = [];
  for (const item of text.split(',').map((s) => s.trim())) {
    const host = parseAllowedHost(item);
    if (!host) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not host or host:port (write a comma-separated list such as cdn.internal,127.0.0.1:9000)` });
      return z.NEVER;
    }
    hosts.push(allowedHostText(host));
  }
  return hosts;
});
