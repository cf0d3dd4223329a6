import type { DataSourceRoute, SimAnswer, SimRequest } from './data-route';
import { GDELT_MAX_RECORDS, gdeltSeenDate, searchGdelt } from './gdelt-articles';
import { parseGdeltQuery } from './gdelt-query';

const DEFAULT_MAX_RECORDS = 75;
/** Without a date range GDELT searches a rolling window of the last three months. */
const DEFAULT_TIMESPAN_MS = 90 * 86_400_000;
const TIMESPAN_UNITS: Readonly<Record<string, number>> = {
  min: 60_000,
  h: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  weeks: 604_800_000,
  m: 2_592_000_000,
  months: 2_592_000_000,
};

/** GDELT answers a request it cannot run with a sentence of text (HTML), and status 200. */
const refusal = (sentence: string): SimAnswer => ({ status: 200, body: `${sentence}\n`, headers: { 'content-type': 'text/html; charset=utf-8' } });

/**
 * The GDELT DOC 2.0 API's article list: GET /api/v2/doc/doc?query=…&mode=ArtList&format=json
 * &maxrecords=…&startdatetime=YYYYMMDDHHMMSS&enddatetime=…&sort=DateDesc. At most 250 articles
 * an answer and no paging: a client narrows the time range. No match answers {}. Parameters
 * are case-insensitive, as GDELT's are; only ArtList in JSON is simulated.
 */
export const gdeltRoute: DataSourceRoute = {
  source: 'gdelt',
  serves: (pathname) => pathname === '/api/v2/doc/doc',
  answer(request: SimRequest): SimAnswer {
    const param = parameters(request.url);
    const parsed = parseGdeltQuery(param('query') ?? '');
    if ('error' in parsed) return refusal(parsed.error);
    const mode = (param('mode') ?? 'artlist').toLowerCase();
    if (mode !== 'artlist') return refusal(`The simulator serves mode=ArtList only, not ${mode}.`);
    if ((param('format') ?? 'html').toLowerCase() !== 'json') return refusal('<html><body>The simulator renders format=json only.</body></html>');
    const range = timeRange(param, request.now.getTime());
    if ('error' in range) return refusal(range.error);
    const asked = Number.parseInt(param('maxrecords') ?? '', 10);
    const max = Number.isFinite(asked) && asked > 0 ? Math.min(asked, GDELT_MAX_RECORDS) : DEFAULT_MAX_RECORDS;
    const order = (param('sort') ?? '').toLowerCase() === 'dateasc' ? 'asc' : 'desc';
    const articles = searchGdelt(parsed.query, range.fromMs, range.toMs, request.now.getTime(), order, max);
    return { status: 200, body: articles.length ? { articles } : {} };
  },
  malformed: () => ({ status: 200, body: { articles: [{ link: 'https://www.example.org/story', date: '2026-01-01 12:00' }] } }),
};

function parameters(url: URL): (name: string) => string | undefined {
  const byName = new Map<string, string>();
  for (const [key, value] of url.searchParams) byName.set(key.toLowerCase(), value);
  return (name) => byName.get(name);
}

/** [fromMs, toMs) from startdatetime/enddatetime (both inclusive, to the second) or timespan. */
function timeRange(param: (name: string) => string | undefined, nowMs: number): { fromMs: number; toMs: number } | { error: string } {
  const start = param('startdatetime');
  const end = param('enddatetime');
  if (start !== undefined || end !== undefined) {
    const fromMs = start === undefined ? nowMs - DEFAULT_TIMESPAN_MS : gdeltTime(start);
    const lastMs = end === undefined ? nowMs : gdeltTime(end);
    if (Number.isNaN(fromMs)) return { error: 'Invalid STARTDATETIME: it must be YYYYMMDDHHMMSS.' };
    if (Number.isNaN(lastMs)) return { error: 'Invalid ENDDATETIME: it must be YYYYMMDDHHMMSS.' };
    return { fromMs, toMs: lastMs + 1000 };
  }
  const span = /^(\d+)(min|h|hours|d|days|w|weeks|m|months)?$/i.exec(param('timespan') ?? '');
  const spanMs = span ? Number(span[1]) * TIMESPAN_UNITS[(span[2] ?? 'min').toLowerCase()]! : DEFAULT_TIMESPAN_MS;
  return { fromMs: nowMs - spanMs, toMs: nowMs + 1 };
}

function gdeltTime(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return Number.NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  // Date.UTC rolls a 13th month or a 61st second over: such a time is not a time.
  return gdeltSeenDate(ms) === `${text.slice(0, 8)}T${text.slice(8)}Z` ? ms : Number.NaN;
}
