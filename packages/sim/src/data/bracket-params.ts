/** A query parameter in PHP's bracket notation: text, or a list or map of them. */
export type BracketValue = string | BracketValue[] | { [key: string]: BracketValue };

/**
 * Query parameters read the way PHP reads them (ReliefWeb's API is PHP): `sort[]=a&sort[]=b`
 * is a list, `filter[value][from]=…` a map, `filter[conditions][0][field]=…` a map keyed by
 * position. A name that does not fit the notation is kept as it is.
 */
export function parseBracketParams(params: URLSearchParams): Record<string, BracketValue> {
  const root: Record<string, BracketValue> = {};
  for (const [key, value] of params) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) {
      root[key] = value;
      continue;
    }
    const path = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
    let container: Record<string, BracketValue> | BracketValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const isLast = i === path.length - 1;
      const next: BracketValue = isLast ? value : path[i + 1] === '' ? [] : {};
      if (Array.isArray(container)) {
        // In a list every segment appends (`[]`, the only form PHP lists take).
        container.push(next);
        if (isLast) break;
        container = next as Record<string, BracketValue> | BracketValue[];
        continue;
      }
      const existing: BracketValue | undefined = container[segment];
      if (isLast) container[segment] = value;
      else if (existing === undefined || typeof existing === 'string') container[segment] = next;
      if (isLast) break;
      container = container[segment] as Record<string, BracketValue> | BracketValue[];
    }
  }
  return root;
}

/** A map keyed by position (`[0]`, `[1]`) or a list, as a list; anything else as one item. */
export function asList(value: BracketValue | undefined): BracketValue[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'object') return Object.values(value);
  return [value];
}
