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
