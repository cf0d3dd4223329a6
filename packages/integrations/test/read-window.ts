import type { IngestionSource, PageRequest, SourceRecord, TimeWindow } from '../src/ingestion/source';

// What the ingestion run does with a source, reduced to its paging: GET a page with plain fetch,
// hand its JSON (or its text, when it is not JSON) to parse, and follow the cursor until the
// window is done. Retries, rate limits and upserts are the run's, not the source's.

/** One GET of a page: its status and its body, parsed as JSON when it is JSON. */
export async function fetchPage(request: PageRequest): Promise<{ status: number; body: unknown }> {
  const res = await fetch(request.url, { headers: { accept: 'application/json', ...request.headers } });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** Every page of a window: the records, the cursors followed and the requests made. */
export async function readWindow<Cursor>(source: IngestionSource<Cursor>, window: TimeWindow, secrets: Record<string, string> = {}) {
  const records: SourceRecord[] = [];
  const requests: string[] = [];
  const cursors: Cursor[] = [];
  let cursor: Cursor | undefined;
  for (let page = 1; page <= 200; page++) {
    const ctx = { window, cursor, secrets };
    const request = source.request(ctx);
    requests.push(request.url);
    const { status, body } = await fetchPage(request);
    if (status !== 200) throw new Error(`page ${page} answered ${status}: ${JSON.stringify(body)}`);
    const parsed = source.parse(body, ctx);
    records.push(...parsed.records);
    if (parsed.next === undefined) return { records, requests, cursors };
    cursors.push(parsed.next);
    cursor = parsed.next;
  }
  throw new Error(`${source.name}: more than 200 pages in one window`);
}

export const window = (from: string, to: string): TimeWindow => ({ from: new Date(from), to: new Date(to) });
