/**
 * A query string from name/value pairs, every part percent-encoded: a space is %20 and a plus
 * %2B (URLSearchParams writes + for a space, which GDELT's query parser and the offsets of
 * ReliefWeb's ISO 8601 dates would both misread). Names may repeat (sort[]).
 */
export function queryString(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
}
