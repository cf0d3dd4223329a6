import { DataSourcesSimulator, reliefwebReportsBetween } from '@conveyor/sim';
import { MalformedPageError, type TimeWindow, createReliefwebSource } from '../src';
import { SourceHttpError, readPage, readWindow, uniqueIds, window } from './source-page-loop';

const START = Date.parse('2026-03-05T12:00:00Z');
const APPNAME = 'conveyor-ingestion-k3x9';
let now = START;
const sim = new DataSourcesSimulator({ now: () => now, sources: ['reliefweb'] });
let base = '';
beforeAll(async () => (base = await sim.listen()));
afterAll(() => sim.close());
beforeEach(() => {
  now = START;
  sim.reset();
});

/** The fields of a raw report that the typed columns come from. */
interface RawReportFields {
  title: string;
  date: { original: string };
  primary_country: { iso3: string };
}

const reliefweb = (appname = APPNAME) => createReliefwebSource({ RELIEFWEB_BASE_URL: base, RELIEFWEB_APPNAME: appname });
const expectedIds = (w: TimeWindow) => reliefwebReportsBetween(w.from.getTime(), w.to.getTime(), now).map((r) => String(r.id));

describe('the ReliefWeb source', () => {
  it('declares daily windows, a bucket that never lets more than ReliefWeb’s 1000 calls a day through, and no secret', () => {
    const source = reliefweb();
    expect(source).toMatchObject({ name: 'reliefweb', windowMs: 86_400_000, secrets: [] });
    // In any 24 hours at most the full bucket and a day's refill.
    expect(source.rateLimit.capacity + source.rateLimit.refillPerSecond * 86_400).toBeLessThanOrEqual(1000);
  });

  it('asks /v2/reports with its appname for the reports created in the window, oldest first, 1000 a page', () => {
    const request = reliefweb().request({ window: window('2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z'), cursor: { offset: 1000 }, secrets: {} });
    const url = new URL(request.url);
    expect(url.origin + url.pathname).toBe(`${base}/v2/reports`);
    expect(url.searchParams.get('appname')).toBe(APPNAME);
    expect(url.searchParams.get('limit')).toBe('1000');
    expect(url.searchParams.get('offset')).toBe('1000');
    expect(url.searchParams.get('filter[field]')).toBe('date.created');
    expect(url.searchParams.get('filter[value][from]')).toBe('2026-03-01T00:00:00+00:00');
    expect(url.searchParams.get('filter[value][to]')).toBe('2026-03-01T23:59:59+00:00');
    expect(url.searchParams.getAll('sort[]')).toEqual(['date.created:asc', 'id:asc']);
    expect(url.searchParams.getAll('fields[include][]')).toEqual(expect.arrayContaining(['title', 'date.created', 'date.original', 'primary_country.iso3']));
    // The offset's + is percent-encoded: a bare + reads as a space, and ReliefWeb refuses the date.
    expect(request.url).toContain('2026-03-01T00%3A00%3A00%2B00%3A00');
  });

  it('reads every report of a window across pages, with typed columns', async () => {
    const w = window('2026-02-25T00:00:00Z', '2026-03-02T00:00:00Z');
    const { records, pages, cursors } = await readWindow(reliefweb(), w);
    expect(uniqueIds(records)).toEqual(expectedIds(w));
    expect(records.length).toBeGreaterThan(1000);
    expect(pages).toBe(2);
    expect(sim.requestsOf('reliefweb').map((r) => r.query.offset)).toEqual(['0', '1000']);
    expect(cursors).toEqual([{ offset: 1000 }]);
    for (const record of records) {
      const fields = (record.raw as { fields: RawReportFields }).fields;
      expect(record.occurred_on).toBe(fields.date.original.slice(0, 10));
      expect(record.occurred_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(record.country).toBe(fields.primary_country.iso3.toUpperCase());
      expect(record.country).toMatch(/^[A-Z]{3}$/);
      expect(record.title).toBe(fields.title);
      expect((record.raw as { id: string }).id).toBe(record.external_id);
    }
  });

  it('tiles windows: consecutive windows share no report and miss none, even one created on a boundary', async () => {
    const day = reliefwebReportsBetween(Date.parse('2026-03-02T00:00:00Z'), Date.parse('2026-03-03T00:00:00Z'), now);
    const boundary = new Date(day[100]!.createdMs);
    const before = await readWindow(reliefweb(), { from: new Date('2026-03-02T00:00:00Z'), to: boundary });
    const after = await readWindow(reliefweb(), { from: boundary, to: new Date('2026-03-03T00:00:00Z') });
    expect(uniqueIds(before.records)).not.toContain(String(day[100]!.id));
    expect(uniqueIds(after.records)[0]).toBe(String(day[100]!.id));
    expect([...uniqueIds(before.records), ...uniqueIds(after.records)]).toEqual(day.map((r) => String(r.id)));
  });

  it('gives the same records for a window read twice, and only new ones as time passes', async () => {
    const w = window('2026-03-05T06:00:00Z', '2026-03-05T18:00:00Z');
    const first = uniqueIds((await readWindow(reliefweb(), w)).records);
    expect(uniqueIds((await readWindow(reliefweb(), w)).records)).toEqual(first);
    now = START + 3 * 3_600_000;
    const later = uniqueIds((await readWindow(reliefweb(), w)).records);
    expect(later.slice(0, first.length)).toEqual(first);
    expect(later.length).toBeGreaterThan(first.length);
    expect(later).toEqual(expectedIds(w));
  });

  it('fails a malformed page with a MalformedPageError naming the page and the field', async () => {
    sim.addFault({ source: 'reliefweb', malformed: true, times: 1 });
    const failure = await readWindow(reliefweb(), window('2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MalformedPageError);
    expect((failure as Error).message).toBe(
      'page of reliefweb reports created 2026-03-01T00:00:00+00:00..2026-03-01T23:59:59+00:00 at offset 0: totalCount is a string, not number',
    );
    const parse = (body: unknown) => () =>
      reliefweb().parse(body, { window: window('2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z'), cursor: { offset: 1000 }, secrets: {} });
    expect(parse({ totalCount: 3 })).toThrow('at offset 1000: data is missing');
    expect(parse({ totalCount: 1, data: [{ id: '7', fields: { title: 'x', date: {} } }] })).toThrow('data[0].fields.date.created is missing');
    expect(parse('<html>Service Unavailable</html>')).toThrow('the page is a string, not object');
  });

  it('is refused with ReliefWeb’s 403 when its appname is missing or not approved', async () => {
    for (const appname of ['', 'apidoc']) {
      const refusal = await readPage(reliefweb(appname), {
        window: window('2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z'),
        cursor: undefined,
        secrets: {},
      }).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(SourceHttpError);
      expect((refusal as SourceHttpError).status).toBe(403);
      expect((refusal as SourceHttpError).body).toEqual({
        time: 1,
        error: expect.objectContaining({ type: 'AccessDeniedHttpException', status: 403, message: expect.stringContaining('appname') }),
      });
    }
  });

  it('keeps its watermark a day behind, so a report indexed late is read by the next run', () => {
    expect(reliefweb().watermark!(window('2026-03-04T06:00:00Z', '2026-03-05T06:00:00Z'), [])).toEqual(new Date('2026-03-04T06:00:00Z'));
  });
});
