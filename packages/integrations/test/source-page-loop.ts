import type { IngestionSource, PageContext, SourceRecord, TimeWindow } from '../src';

/** A source's HTTP answer that was not 2xx: its status and body, as the run would see them. */
export class SourceHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

export const window = (from: string, to: string): TimeWindow => ({ from: new Date(from), to: new Date(to) });

/** One page: the source's request sent with plain fetch, its answer given to parse() (JSON parsed, other text as it is, as the run does). */
export async function readPage<C>(source: IngestionSource<C>, ctx: PageContext<C>) {
  const request = source.request(ctx);
  const res = await fetch(request.url, { headers: request.headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // GDELT answers some requests with a sentence of text: the source judges it.
  }
  if (!res.ok) throw new SourceHttpError(res.status, body);
  return source.parse(body, ctx);
}

/**
 * What the framework's paging loop does for one window, in small: page after page until the
 * source says the window is done, each cursor stored as JSON (as the run stores it) in between.
 */
export async function readWindow<C>(source: IngestionSource<C>, window: TimeWindow, secrets: Record<string, string> = {}) {
  const records: SourceRecord[] = [];
  const cursors: C[] = [];
  let cursor: C | undefined;
  do {
    const page = await readPage(source, { window, cursor, secrets });
    records.push(...page.records);
    cursor = page.next === undefined ? undefined : (JSON.parse(JSON.stringify(page.next)) as C);
    if (cursor !== undefined) cursors.push(cursor);
    if (cursors.length > 1000) throw new Error('the source never said the window was done');
  } while (cursor !== undefined);
  return { records, pages: cursors.length + 1, cursors };
}

/** The ids of the records, checked to be unique. */
export function uniqueIds(records: readonly SourceRecord[]): string[] {
  const ids = records.map((r) => r.external_id);
  expect(new Set(ids).size).toBe(ids.length);
  return ids;
}
