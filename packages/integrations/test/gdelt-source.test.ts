import { DeferTaskError } from '@conveyor/contracts';
import { DataSourcesSimulator, GDELT_MAX_RECORDS, GDELT_QUERY_ERRORS, gdeltUpdatesBetween } from '@conveyor/sim';
import { createGdeltSource } from '../src';
import { MalformedPageError, type TimeWindow } from '../src/ingestion/source';
import { readWindow, window } from './read-window';

const START = Date.parse('2026-03-01T12:07:00Z');
/** The configuration's default query. */
const QUERY = '(economy OR trade OR humanitarian) sourcelang:english';
const EVERY_TOPIC = '(economy OR trade OR humanitarian OR climate OR health OR energy OR election OR conflict)';
let now = START;
const sim = new DataSourcesSimulator({ now: () => now, sources: ['gdelt'] });
let base = '';
beforeAll(async () => (base = await sim.listen()));
afterAll(() => sim.close());
beforeEach(() => {
  now = START;
  sim.reset();
});

const gdelt = (query = QUERY) => createGdeltSource({ GDELT_BASE_URL: base, GDELT_QUERY: query });
/** What GDELT holds for the window, by update: what the source can read of it is 250 an update at most. */
const expectedUrls = (query: string, w: TimeWindow) =>
  gdeltUpdatesBetween(query, w.from.getTime(), w.to.getTime(), now).flatMap((u) => u.articles.slice(0, GDELT_MAX_RECORDS).map((a) => a.url));

describe('the GDELT source', () => {
  it('declares 15-minute windows, GDELT’s one request per 5 seconds and no secret', () => {
    const source = gdelt();
    expect(source.name).toBe('gdelt');
    expect(source.windowMs).toBe(15 * 60_000);
    expect(source.rateLimit).toEqual({ capacity: 1, refillPerSecond: 0.2 });
    expect(source.secrets).toEqual([]);
  });

  it('asks ArtList for the window’s articles newest first, with the window’s bounds to the second', () => {
    const request = gdelt().request({ window: window('2026-03-01T11:00:00Z', '2026-03-01T11:15:00Z'), cursor: undefined, secrets: {} });
    const url = new URL(request.url);
    expect(url.origin + url.pathname).toBe(`${base}/api/v2/doc/doc`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      query: QUERY,
      mode: 'ArtList',
      format: 'json',
      maxrecords: '250',
      sort: 'DateDesc',
      startdatetime: '20260301110000',
      enddatetime: '20260301111459',
    });
    expect(request.url).toContain('query=(economy%20OR%20trade%20OR%20humanitarian)%20sourcelang%3Aenglish');
  });

  it('reads a window’s articles as records: the URL as id, the day seen, the country and the title', async () => {
    const w = window('2026-03-01T11:00:00Z', '2026-03-01T11:15:00Z');
    const { records, requests } = await readWindow(gdelt(), w);
    const [update] = gdeltUpdatesBetween(QUERY, w.from.getTime(), w.to.getTime(), now);
    expect(records.length).toBeGreaterThan(0);
    expect(records).toEqual(
      update!.articles.map((article) => ({
        external_id: article.url,
        raw: article,
        occurred_on: '2026-03-01',
        country: article.sourcecountry,
        title: article.title,
      })),
    );
    expect(requests).toHaveLength(1);
  });

  it('pages a long window by narrowing its range: every article once, and 250 of an update that holds more', async () => {
    const updates = gdeltUpdatesBetween(EVERY_TOPIC, Date.parse('2026-02-20T00:00:00Z'), START, START);
    const spike = updates.find((u) => u.articles.length > GDELT_MAX_RECORDS)!;
    const w = { from: new Date(spike.instantMs - 2 * 3_600_000), to: new Date(spike.instantMs + 2 * 3_600_000) };
    const { records, requests, cursors } = await readWindow(gdelt(EVERY_TOPIC), w);
    const ids = records.map((r) => r.external_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(expectedUrls(EVERY_TOPIC, w).sort());
    expect(records.filter((r) => (r.raw as { seendate: string }).seendate === spike.articles[0]!.seendate)).toHaveLength(GDELT_MAX_RECORDS);
    expect(requests.length).toBeGreaterThan(3);
    const ends = requests.map((url) => new URL(url).searchParams.get('enddatetime')!);
    expect(ends).toEqual([...ends].sort().reverse());
    expect(new Set(ends).size).toBe(ends.length);
    expect(JSON.parse(JSON.stringify(cursors))).toEqual(cursors);
    // Every request kept the window's start.
    expect(new Set(requests.map((url) => new URL(url).searchParams.get('startdatetime')))).toEqual(new Set([startOf(w)]));
  });

  it('gives the same records for a window read twice, and a later window only new ones', async () => {
    const first = window('2026-03-01T10:30:00Z', '2026-03-01T11:30:00Z');
    const a = (await readWindow(gdelt(), first)).records.map((r) => r.external_id);
    const again = (await readWindow(gdelt(), first)).records.map((r) => r.external_id);
    expect(again).toEqual(a);
    const later = (await readWindow(gdelt(), window('2026-03-01T11:30:00Z', '2026-03-01T12:30:00Z'))).records.map((r) => r.external_id);
    expect(later.length).toBeGreaterThan(0);
    expect(later.filter((id) => a.includes(id))).toEqual([]);
    expect(a.sort()).toEqual(expectedUrls(QUERY, first).sort());
  });

  it('sees an update once it has happened: a window reaching past now fills in as time passes', async () => {
    const w = window('2026-03-01T12:00:00Z', '2026-03-01T12:30:00Z');
    const before = (await readWindow(gdelt(), w)).records.map((r) => r.external_id);
    now = Date.parse('2026-03-01T12:40:00Z');
    const after = (await readWindow(gdelt(), w)).records.map((r) => r.external_id);
    expect(after.slice(after.length - before.length)).toEqual(before);
    expect(after.length).toBeGreaterThan(before.length);
  });

  it('reads GDELT’s {} (nothing matches) as no records', async () => {
    const { records, requests } = await readWindow(gdelt('zeppelin'), window('2026-03-01T11:00:00Z', '2026-03-01T12:00:00Z'));
    expect(records).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('keeps only articles seen inside the window, each once, and stops narrowing at the window’s start', () => {
    const source = gdelt();
    const w = window('2026-03-01T11:00:00Z', '2026-03-01T11:15:00Z');
    const article = (url: string, seendate: string) => ({ url, title: url, seendate, domain: 'example.org', language: 'English', sourcecountry: 'Kenya' });
    const page = {
      articles: [
        article('https://example.org/late', '20260301T111500Z'),
        article('https://example.org/a', '20260301T110000Z'),
        article('https://example.org/a', '20260301T110000Z'),
      ],
    };
    const parsed = source.parse(page, { window: w, cursor: undefined, secrets: {} });
    expect(parsed.records.map((r) => r.external_id)).toEqual(['https://example.org/a']);
    expect(parsed.next).toBeUndefined();
    // A full page all at the window's first instant: nothing older can be in the window.
    const full = { articles: Array.from({ length: 250 }, (_, i) => article(`https://example.org/${i}`, '20260301T110000Z')) };
    const last = source.parse(full, { window: w, cursor: undefined, secrets: {} });
    expect(last.records).toHaveLength(250);
    expect(last.next).toBeUndefined();
    // A full page over two instants: the next one ends at the older instant, skipping what was taken there.
    const spread = { articles: full.articles.map((a, i) => (i < 100 ? { ...a, seendate: '20260301T111000Z' } : a)) };
    const next = source.parse(spread, { window: w, cursor: undefined, secrets: {} }).next;
    expect(next).toEqual({ end: '20260301110000', takenAtEnd: full.articles.slice(100).map((a) => a.url) });
    const skipped = source.parse(
      { articles: [article('https://example.org/100', '20260301T110000Z'), article('https://example.org/new', '20260301T110000Z')] },
      { window: w, cursor: next, secrets: {} },
    );
    expect(skipped.records.map((r) => r.external_id)).toEqual(['https://example.org/new']);
  });

  it('fails a malformed page with a MalformedPageError naming the page and the field', async () => {
    sim.addFault({ source: 'gdelt', malformed: true, times: 1 });
    const failure = await readWindow(gdelt(), window('2026-03-01T11:00:00Z', '2026-03-01T11:15:00Z')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MalformedPageError);
    expect((failure as Error).message).toBe('page of gdelt articles seen 20260301110000..20260301111459: articles[0].url is missing (and 1 more problems)');
    const parse = (body: unknown) => () =>
      gdelt().parse(body, { window: window('2026-03-01T11:00:00Z', '2026-03-01T11:15:00Z'), cursor: undefined, secrets: {} });
    expect(parse({ articles: 'none' })).toThrow('articles is text where a list is documented');
    expect(parse([])).toThrow('the page is a list where an object is documented');
    expect(parse({ articles: [{ url: 'https://example.org/x', seendate: '2026-03-01 11:00' }] })).toThrow('articles[0].seendate is not as documented');
  });

  it('tells GDELT’s text answers apart: a refused query, its throttle, a broken page', async () => {
    const refused = await readWindow(gdelt('AI economy'), window('2026-03-01T11:00:00Z', '2026-03-01T11:15:00Z')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MalformedPageError);
    expect((refused as Error).message).toContain(`GDELT refused the query in GDELT_QUERY: "${GDELT_QUERY_ERRORS.tooShort}"`);
    const parse = (text: string) => () =>
      gdelt().parse(text, { window: window('2026-03-01T11:00:00Z', '2026-03-01T11:15:00Z'), cursor: undefined, secrets: {} });
    const throttle = (() => {
      try {
        parse('Please limit requests to one every 5 seconds or contact kalev.leetaru5@gmail.com for larger queries.\n')();
      } catch (error) {
        return error;
      }
    })();
    expect(throttle).toBeInstanceOf(DeferTaskError);
    expect((throttle as DeferTaskError).delayMs).toBe(60_000);
    expect(parse('{"articles": [{"url": "https://example.org/\u0001')).toThrow(MalformedPageError);
    expect(parse('{"articles": [{"url": "https://example.org/\u0001')).toThrow('the answer is not valid JSON');
    expect(parse('')).toThrow('the answer is empty');
  });

  it('keeps its watermark a window behind, so an update indexed late is read by the next run', () => {
    expect(gdelt().watermark!(window('2026-03-01T12:00:00Z', '2026-03-01T12:15:00Z'), [])).toEqual(new Date('2026-03-01T12:00:00Z'));
  });
});

function startOf(w: TimeWindow): string {
  return w.from.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
