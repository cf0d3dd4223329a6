import { Option } from 'commander';
import { integer } from './json-input';

/** The most items the API answers in one page. */
const MAX_PAGE = 200;

/** -n/--limit of the list commands: how many items in all (1 to 10,000), whatever the API's page size. */
export function limitOption(fallback: number, description = 'at most this many'): Option {
  return new Option('-n, --limit <n>', description).argParser(integer('--limit', 1, 10_000)).default(fallback);
}

/** The page size to ask the API for when `limit` items are wanted in all. */
export const pageSize = (limit: number): number => Math.min(limit, MAX_PAGE);

/** The first `limit` items of a paged listing, stopping early when `until` says so; later pages are never fetched. */
export async function take<T>(items: AsyncIterable<T>, limit: number, until: (item: T) => boolean = () => false): Promise<T[]> {
  const taken: T[] = [];
  if (limit <= 0) return taken;
  for await (const item of items) {
    if (until(item)) break;
    taken.push(item);
    if (taken.length >= limit) break;
  }
  return taken;
}
