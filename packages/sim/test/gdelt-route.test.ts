import { GDELT_MAX_RECORDS, GDELT_QUERY_ERRORS, gdeltUpdatesBetween } from '../src';
import { startDataSim } from './data-route-client';

const START = Date.parse('2026-03-01T12:07:00Z');
const gdelt = startDataSim('gdelt', START);
const { sim } = gdelt;
beforeAll(gdelt.start);
afterAll(gdelt.close);
beforeEach(gdelt.reset);

const EVERY_TOPIC = '(economy OR trade OR humanitarian OR climate OR health OR energy OR election OR conflict)';
const ARTICLE_KEYS = ['domain', 'language', 'seendate', 'socialimage', 'sourcecountry', 'title', 'url', 'url_mobile'];

/** GET /api/v2/doc/doc in ArtList JSON with these parameters (each may be overridden or dropped with undefined). */
function doc(params: Record<string, string | undefined>) {
  const query = Object.entries({ mode: 'ArtList', format: 'json', ...params })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`)
    .join('&');
  return gdelt.get(`/api/v2/doc/doc?${query}`);
}

const seenMs = (seendate: string) => Date.parse(seendate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));

describe('GDELT DOC 2.0 simulator: ArtList', () => {
  it('lists matching articles newest first with ArtList’s fields, inside the range and never after now', async () => {
    const answer = await doc({ query: 'economy', maxrecords: '250', startdatetime: '20260301100000', enddatetime: '20260301235959' });
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^application\/json/);
    const articles = answer.body.articles as any[];
    expect(articles.length).toBeGreaterThan(10);
    const times = articles.map((a) => seenMs(a.seendate));
    for (const article of articles) {
      expect(Object.keys(article).sort()).toEqual(ARTICLE_KEYS);
      expect(article.seendate).toMatch(/^\d{8}T\d{2}(00|15|30|45)00Z$/);
      expect(article.title.toLowerCase()).toContain('economy');
      expect(article.url).toMatch(new RegExp(`^https://www\\.${article.domain.replace(/\./g, '\\.')}/`));
    }
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.parse('2026-03-01T10:00:00Z'));
    expect(Math.max(...times)).toBe(Date.parse('2026-03-01T12:00:00Z')); // the last update before now (12:07)
    expect(new Set(articles.map((a) => a.url)).size).toBe(articles.length);
  });

  it('returns 75 articles by default and never more than 250, whatever maxrecords asks', async () => {
    const range = { query: EVERY_TOPIC, startdatetime: '20260228000000', enddatetime: '20260301115959' };
    expect((await doc(range)).body.articles).toHaveLength(75);
    expect((await doc({ ...range, maxrecords: '10' })).body.articles).toHaveLength(10);
    expect((await doc({ ...range, maxrecords: '1000' })).body.articles).toHaveLength(GDELT_MAX_RECORDS);
  });

  it('filters by OR groups, sourcelang, sourcecountry (FIPS), domainis and negation, and answers {} when nothing matches', async () => {
    const range = { maxrecords: '250', startdatetime: '20260301000000', enddatetime: '20260301115959' };
    const english = (await doc({ ...range, query: '(economy OR trade) sourcelang:english' })).body.articles as any[];
    expect(english.length).toBeGreaterThan(0);
    for (const a of english) {
      expect(a.language).toBe('English');
      expect(a.title.toLowerCase()).toMatch(/economy|trade/);
    }
    const french = (await doc({ ...range, query: 'sourcecountry:FR election' })).body.articles as any[];
    expect(french.length).toBeGreaterThan(0);
    expect(new Set(french.map((a) => a.sourcecountry))).toEqual(new Set(['France']));
    const reuters = (await doc({ ...range, query: `${EVERY_TOPIC} domainis:reuters.com -sourcelang:spanish` })).body.articles as any[];
    expect(reuters.length).toBeGreaterThan(0);
    expect(new Set(reuters.map((a) => a.domain))).toEqual(new Set(['reuters.com']));
    const none = await doc({ ...range, query: 'zeppelin' });
    expect(none.status).toBe(200);
    expect(none.body).toEqual({});
  });

  it('gives the same articles for a range asked twice, and only new updates as time passes', async () => {
    const range = { query: EVERY_TOPIC, maxrecords: '250', startdatetime: '20260301113000', enddatetime: '20260301135959' };
    const before = (await doc(range)).body.articles as any[];
    expect((await doc(range)).body.articles).toEqual(before);
    const now = START + 3_600_000;
    gdelt.setNow(now);
    const after = (await doc(range)).body.articles as any[];
    expect(after.length).toBeGreaterThan(before.length);
    const beforeUrls = new Set(before.map((a) => a.url));
    const added = after.filter((a) => !beforeUrls.has(a.url));
    expect(after.filter((a) => beforeUrls.has(a.url))).toEqual(before);
    for (const a of added) expect(seenMs(a.seendate)).toBeGreaterThan(START);
    for (const a of added) expect(seenMs(a.seendate)).toBeLessThanOrEqual(now);
  });

  it('lists oldest first with sort=DateAsc', async () => {
    const articles = (await doc({ query: EVERY_TOPIC, maxrecords: '250', sort: 'DateAsc', startdatetime: '20260301000000', enddatetime: '20260301115959' }))
      .body.articles as any[];
    const times = articles.map((a) => seenMs(a.seendate));
    expect(times[0]).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('holds breaking stories with more matches in one update than one answer lists: 250 of them, by URL', async () => {
    const updates = gdeltUpdatesBetween(EVERY_TOPIC, Date.parse('2026-02-20T00:00:00Z'), Date.parse('2026-03-01T00:00:00Z'), START);
    const spike = updates.find((u) => u.articles.length > GDELT_MAX_RECORDS)!;
    expect(spike).toBeDefined();
    const stamp = new Date(spike.instantMs).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const answer = (await doc({ query: EVERY_TOPIC, maxrecords: '250', startdatetime: stamp, enddatetime: stamp })).body.articles as any[];
    expect(answer).toEqual(spike.articles.slice(0, GDELT_MAX_RECORDS));
  });

  it('refuses what GDELT refuses with its own sentence, as text with status 200', async () => {
    const refused = async (params: Record<string, string | undefined>) => {
      const answer = await doc({ startdatetime: '20260301000000', enddatetime: '20260301115959', ...params });
      expect(answer.status).toBe(200);
      expect(answer.type).toMatch(/^text\/html/);
      return (answer.body as string).trim();
    };
    expect(await refused({ query: 'AI economy' })).toBe(GDELT_QUERY_ERRORS.tooShort);
    expect(await refused({ query: 'economy OR trade' })).toBe(GDELT_QUERY_ERRORS.orNeedsParentheses);
    expect(await refused({ query: '(economy trade)' })).toBe(GDELT_QUERY_ERRORS.parenthesesOnlyAroundOr);
    expect(await refused({ query: '' })).toBe(GDELT_QUERY_ERRORS.empty);
    expect(await refused({ query: 'economy', startdatetime: '20261399000000' })).toMatch(/STARTDATETIME/);
    expect(await refused({ query: 'economy', format: undefined })).toMatch(/format=json/);
  });

  it('answers a malformed page when told to, and records every request', async () => {
    sim.addFault({ source: 'gdelt', malformed: true, times: 1 });
    const broken = await doc({ query: 'economy', startdatetime: '20260301000000', enddatetime: '20260301115959' });
    expect(broken.status).toBe(200);
    expect(broken.body.articles[0]).not.toHaveProperty('url');
    expect(broken.body.articles[0]).not.toHaveProperty('seendate');
    expect((await doc({ query: 'economy', startdatetime: '20260301000000', enddatetime: '20260301115959' })).body.articles[0]).toHaveProperty('url');
    expect(sim.requestsOf('gdelt').map((r) => [r.path, r.query.query, r.status])).toEqual([
      ['/api/v2/doc/doc', 'economy', 200],
      ['/api/v2/doc/doc', 'economy', 200],
    ]);
  });
});
