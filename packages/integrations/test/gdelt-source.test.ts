import { DeferTaskError } from '@conveyor/contracts';
import { DataSourcesSimulator, GDELT_MAX_RECORDS, GDELT_QUERY_ERRORS, gdeltUpdatesBetween } from '@conveyor/sim';
import { type GdeltCursor, type IngestionSource, MalformedPageError, type TimeWindow, createGdeltSource } from '../src';
import { readWindow, uniqueIds, window } from './source-page-loop';

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
/** What GDELT holds for the window, by update: what a source can read of it is 250 an update at most. */
const readableUrls = (query: string, w: TimeWindow) =>
  gdeltUpdatesBetween(query, w.from.getTime(), w.to.getTime(), now).flatMap((u) => u.articles.slice(0, GDELT_MAX_RECORDS).map((a) => a.url));
const ELEVEN = window('2026-03-01T11:00:00Z', '2026-03-01T11:15:00Z');
const parseOf = (source: IngestionSource<GdeltCursor>, cursor?: GdeltCursor) => (body: unknown) => () =>
  source.parse(body, { window: ELEVEN, cursor, secrets: {} });

describe('the GDELT source against the simulated DOC 2.0 API', () => {
  it('declares 15-minute windows, GDELT’s one request per 5 seconds and no secret', () => {
    const source = gdelt();
    expect(source).toMatchObject({ name: 'gdelt', windowMs: 15 * 60_000, secrets: [] });
    expect(source.rateLimit.refillPerSecond).toBe(0.2);
    expect(source.watermark).toBeUndefined();
  });

  it('asks ArtList for the window’s articles newest first, from its start to its end', () => {
    const request = gdelt().request({ window: ELEVEN, cursor: undefined, secrets: {} });
    const url = new URL(request.url);
    expect(url.origin + url.pathname).toBe(`${base}/api/v2/doc/doc`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      query: QUERY,
      mode: 'ArtList',
      format: 'json',
      maxrecords: '250',
      sort: 'DateDesc',
      startdatetime: '20260301110000',
      enddatetime: '20260301111500',
    });
    // Spaces as %20, never +: GDELT's query parser reads the query as it is sent.
    expect(request.url).toContain('query=(economy%20OR%20trade%20OR%20humanitarian)%20sourcelang%3Aenglish');
  });

  it('reads a window’s articles as records: the URL as id, the day seen, the country and the title', async () => {
    const { records, pages } = await readWindow(gdelt(), ELEVEN);
    const [update] = gdeltUpdatesBetween(QUERY, ELEVEN.from.getTime(), ELEVEN.to.getTime(), now);
    expect(update!.articles.length).toBeGreaterThan(0);
    expect(records).toEqual(
      update!.articles.map((article) => ({
        external_id: article.url,
        raw: article,
        occurred_on: '2026-03-01',
        country: article.sourcecountry,
        title: article.title,
      })),
    );
    expect(pages).toBe(1);
  });

  it('pages a long window by narrowing its range: every article once, and 250 of an update that holds more', async () => {
    const spike = gdeltUpdatesBetween(EVERY_TOPIC, Date.parse('2026-02-20T00:00:00Z'), START, START).find((u) => u.articles.length > GDELT_MAX_RECORDS)!;
    const w = { from: new Date(spike.instantMs - 2 * 3_600_000), to: new Date(spike.instantMs + 2 * 3_600_000) };
    const { records, pages } = await readWindow(gdelt(EVERY_TOPIC), w);
    expect(uniqueIds(records).sort()).toEqual(readableUrls(EVERY_TOPIC, w).sort());
    expect(records.filter((r) => (r.raw as { seendate: string }).seendate === spike.articles[0]!.seendate)).toHaveLength(GDELT_MAX_RECORDS);
    const asked = sim.requestsOf('gdelt').map((r) => r.query);
    expect(asked).toHaveLength(pages);
    expect(pages).toBeGreaterThan(3);
    // Every page keeps the window's start; each ends earlier than the one before.
    expect(new Set(asked.map((q) => q.startdatetime))).toEqual(new Set([gdeltTime(w.from)]));
    const ends = asked.map((q) => q.enddatetime!);
    expect(ends[0]).toBe(gdeltTime(w.to));
    expect(ends).toEqual([...ends].sort().reverse());
    expect(new Set(ends).size).toBe(ends.length);
  });

  it('leaves an article seen at the window’s end to the next window: consecutive windows share none and miss none', async () => {
    const hour = window('2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z');
    const halves = [window('2026-03-01T10:00:00Z', '2026-03-01T10:30:00Z'), window('2026-03-01T10:30:00Z', '2026-03-01T11:00:00Z')];
    const first = uniqueIds((await readWindow(gdelt(), halves[0]!)).records);
    const second = uniqueIds((await readWindow(gdelt(), halves[1]!)).records);
    // The first half's request reaches 10:30:00, whose update is the second half's.
    expect(sim.requestsOf('gdelt')[0]!.query.enddatetime).toBe('20260301103000');
    expect(first.filter((id) => second.includes(id))).toEqual([]);
    expect([...first, ...second].sort()).toEqual(readableUrls(QUERY, hour).sort());
  });

  it('gives the same records for a window read twice, and sees an update once it has happened', async () => {
    const w = window('2026-03-01T11:30:00Z', '2026-03-01T12:30:00Z');
    const before = uniqueIds((await readWindow(gdelt(), w)).records);
    expect(uniqueIds((await readWindow(gdelt(), w)).records)).toEqual(before);
    now = Date.parse('2026-03-01T12:40:00Z');
    const after = uniqueIds((await readWindow(gdelt(), w)).records);
    expect(after.slice(after.length - before.length)).toEqual(before);
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.sort()).toEqual(readableUrls(QUERY, w).sort());
  });

  it('reads GDELT’s {} (nothing matches) as no records', async () => {
    const { records, pages } = await readWindow(gdelt('zeppelin'), window('2026-03-01T11:00:00Z', '2026-03-01T12:00:00Z'));
    expect(records).toEqual([]);
    expect(pages).toBe(1);
  });

  it('keeps only articles seen inside the window, each once, and narrows no further than its start', () => {
    const parse = parseOf(gdelt());
    const article = (url: string, seendate: string) => ({ url, title: url, seendate, domain: 'example.org', language: 'English', sourcecountry: 'Kenya' });
    const page = {
      articles: [
        article('https://example.org/late', '20260301T111500Z'),
        article('https://example.org/a', '20260301T110000Z'),
        article('https://example.org/a', '20260301T110000Z'),
      ],
    };
    const parsed = parse(page)();
    expect(parsed.records.map((r) => r.external_id)).toEqual(['https://example.org/a']);
    expect(parsed.next).toBeUndefined();
    // A full page all at the window's first instant: nothing older is in the window.
    const full = { articles: Array.from({ length: 250 }, (_, i) => article(`https://example.org/${i}`, '20260301T110000Z')) };
    expect(parse(full)().records).toHaveLength(250);
    expect(parse(full)().next).toBeUndefined();
    // A full page over two instants: the next page ends at the older one, skipping what was taken there.
    const spread = { articles: full.articles.map((a, i) => (i < 100 ? { ...a, seendate: '20260301T111000Z' } : a)) };
    const next = parse(spread)().next;
    expect(next).toEqual({ end: '20260301110000', takenAtEnd: full.articles.slice(100).map((a) => a.url) });
    const more = parseOf(
      gdelt(),
      next,
    )({ articles: [article('https://example.org/100', '20260301T110000Z'), article('https://example.org/new', '20260301T110000Z')] })();
    expect(more.records.map((r) => r.external_id)).toEqual(['https://example.org/new']);
  });

  it('fails a malformed page with a MalformedPageError naming the page and the field', async () => {
    sim.addFault({ source: 'gdelt', malformed: true, times: 1 });
    const failure = await readWindow(gdelt(), ELEVEN).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MalformedPageError);
    expect((failure as Error).message).toBe('page of gdelt articles seen from 20260301110000 until 20260301111500: articles[0].url is missing');
    const parse = parseOf(gdelt());
    expect(parse({ articles: 'none' })).toThrow('articles is a string, not array');
    expect(parse([])).toThrow('the page is an array, not object');
    expect(parse({ articles: [{ url: 'https://example.org/x', seendate: '2026-03-01 11:00' }] })).toThrow(
      'articles[0].seendate: a seendate is YYYYMMDDTHHMMSSZ',
    );
  });

  it('tells GDELT’s text answers apart: a refused query, its throttle, a broken page', async () => {
    const refused = await readWindow(gdelt('AI economy'), ELEVEN).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MalformedPageError);
    expect((refused as Error).message).toContain(`GDELT refused the query in GDELT_QUERY: "${GDELT_QUERY_ERRORS.tooShort}"`);
    const parse = parseOf(gdelt());
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
});

function gdeltTime(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
