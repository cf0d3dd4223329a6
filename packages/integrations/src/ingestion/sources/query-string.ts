/**
 * A query string from name/value pairs, every part percent-encoded: a space is %20 and a plus
 * %2B (URLSearchParams writes + for a space, which GDELT's parser and ISO 8601 offsets in
 * ReliefWeb's dates would both misread). Names may repeat (sort[]).
 */
export function queryString(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
}

/** A base URL without its trailing slashes, so a path can follow it (a base may carry a path prefix). */
export const trimBase = (baseUrl: string): string => baseUrl.replace(/\/+$/, '');
