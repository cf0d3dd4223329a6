import { DataSourcesSimulator, SIM_FRED_API_KEY } from '@conveyor/sim';
import { MalformedPageError, createFredSource, type FredCursor, type IngestionSource } from '../src';
import { SourceHttpError, readPage, readWindow, uniqueIds, window } from './source-page-loop';

const START = Date.parse('2026-12-05T12:00:00Z');
let now = START;
const sim = new DataSourcesSimulator({ sources: ['fred'], now: () => now });
const SECRETS = { fred_api_key: SIM_FRED_API_KEY };
let fred: IngestionSource<FredCursor>;
let base = '';
beforeAll(async () => {
  base = await sim.listen();
  fred = createFredSource({ FRED_BASE_URL: base, FRED_SERIES: ['GDP', 'UNRATE', 'DGS10'] });
});
afterAll(() => sim.close());
beforeEach(() => {
  now = START;
  sim.reset();
});

/** How many observations the simulator has for a series between two dates, asked directly in one page. */
async function simCount(series: string, start: string, end: string): Promise<number> {
  const query = `series_id=${series}&api_key=${SIM_FRED_API_KEY}&file_type=json&observation_start=${start}&observation_end=${end}`;
  return ((await (await fetch(`${base}/fred/series/observations?${query}`)).json()) as { count: number }).count;
}

describe('the FRED source against the simulated FRED API', () => {
  it('reads every page of every series of a window, one record per observation, with stable ids', async () => {
    const five = window('2021-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
    const { records, pages } = await readWindow(fred, five, SECRETS);
    const expected = (await Promise.all(['GDP', 'UNRATE', 'DGS10'].map((s) => simCount(s, '2021-01-01', '2025-12-31')))).reduce((a, b) => a + b);
    expect(records).toHaveLength(expected);
    expect(pages).toBe(4); // GDP, UNRATE, and the daily series' 1300 observations in two pages of 1000
    expect(
      sim
        .requestsOf('fred')
        .slice(0, 4)
        .map((r) => [r.query.series_id, r.query.offset]),
    ).toEqual([
      ['GDP', '0'],
      ['UNRATE', '0'],
      ['DGS10', '0'],
      ['DGS10', '1000'],
    ]);
    expect(sim.requests[0]!.query).toMatchObject({
      api_key: '***',
      file_type: 'json',
      observation_start: '2021-01-01',
      observation_end: '2025-12-31',
      limit: '1000',
    });

    const ids = uniqueIds(records);
    expect(records.find((r) => r.external_id === 'UNRATE:2021-01-01')).toEqual({
      external_id: 'UNRATE:2021-01-01',
      raw: { series_id: 'UNRATE', date: '2021-01-01', value: expect.stringMatching(/^\d+\.\d$/) },
      occurred_on: '2021-01-01',
      series_id: 'UNRATE',
      value: expect.any(Number),
    });
    const missing = records.filter((r) => (r.raw as { value: string }).value === '.');
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((r) => r.value === null)).toBe(true);
    expect(records.filter((r) => r.value !== null).every((r) => Number.isFinite(r.value))).toBe(true);
    // Read again, on another day: the same records (the real-time period FRED stamps on each is left out).
    now = START + 3 * 86_400_000;
    expect((await readWindow(fred, five, SECRETS)).records).toEqual(records);
    expect(ids[0]).toBe('GDP:2021-01-01');
  });

  it('brings only new observations in a later window, and new ones as FRED publishes them', async () => {
    const first = uniqueIds((await readWindow(fred, window('2025-01-01T00:00:00Z', '2025-07-01T00:00:00Z'), SECRETS)).records);
    const second = uniqueIds((await readWindow(fred, window('2025-07-01T00:00:00Z', '2026-01-01T00:00:00Z'), SECRETS)).records);
    expect(first.filter((id) => second.includes(id))).toEqual([]);
    const year = uniqueIds((await readWindow(fred, window('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), SECRETS)).records);
    expect([...first, ...second].sort()).toEqual([...year].sort());

    const thisYear = window('2026-01-01T00:00:00Z', '2026-12-05T00:00:00Z');
    now = Date.parse('2026-10-15T00:00:00Z');
    const before = uniqueIds((await readWindow(fred, thisYear, SECRETS)).records);
    now = Date.parse('2026-11-01T00:00:00Z');
    const after = uniqueIds((await readWindow(fred, thisYear, SECRETS)).records);
    expect(after).toEqual(expect.arrayContaining(before));
    const added = after.filter((id) => !before.includes(id));
    expect(added).toContain('GDP:2026-07-01'); // the third quarter, out on 30 October
    expect(added.every((id) => id === 'GDP:2026-07-01' || id.startsWith('DGS10:2026-10-'))).toBe(true);
  });

  it('sets the watermark at the earliest of the series’ last dates, so the next run asks for what is still to come', async () => {
    const run = window('2026-01-01T00:00:00Z', new Date(START).toISOString());
    const { records } = await readWindow(fred, run, SECRETS);
    const watermark = fred.watermark!(run, records);
    expect(watermark.toISOString()).toBe('2026-07-01T00:00:00.000Z'); // GDP's Q3, the stalest series' last observation
    // The next run from there sees Q4 once it is out, and nothing of it was skipped.
    now = Date.parse('2027-02-01T00:00:00Z');
    const next = await readWindow(fred, window(watermark.toISOString(), new Date(now).toISOString()), SECRETS);
    expect(next.records.map((r) => r.external_id)).toEqual(expect.arrayContaining(['GDP:2026-07-01', 'GDP:2026-10-01']));
    // A series without observations in the window holds it at the window's start, by at most 550 days.
    const quiet = window('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z');
    expect(
      fred.watermark!(
        quiet,
        records.filter((r) => r.series_id !== 'GDP' && r.occurred_on! >= '2026-11-01'),
      ),
    ).toEqual(quiet.from);
    const long = window('2000-01-01T00:00:00Z', '2026-12-01T00:00:00Z');
    expect(fred.watermark!(long, []).toISOString()).toBe('2025-05-30T00:00:00.000Z');
  });

  it('fails a page that is not FRED’s shape with MalformedPageError saying where', async () => {
    sim.addFault({ source: 'fred', malformed: true, times: 1 });
    const ctx = { window: window('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), cursor: undefined, secrets: SECRETS };
    const error = await readPage(fred, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedPageError);
    expect((error as Error).message).toBe('page of fred GDP at offset 0: observations is missing');
    const cursor = { series: 'DGS10', offset: 1000 };
    expect(() => fred.parse({ count: 1, offset: 0, observations: [{ date: '2026-01-02', value: 'n/a' }] }, { ...ctx, cursor })).toThrow(
      'page of fred DGS10 at offset 1000: observations[0].value: not a number or "."',
    );
    expect(() => fred.parse([], { ...ctx, cursor })).toThrow('page of fred DGS10 at offset 1000: the page is an array, not object');
    expect(() => fred.parse({ count: 5000, offset: 1000, observations: [] }, { ...ctx, cursor })).toThrow(MalformedPageError);
  });

  it('gets FRED’s 400 for a wrong api_key, and never puts the key in an error, a cursor or a record', async () => {
    const ctx = { window: window('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), cursor: undefined };
    const refused = await readPage(fred, { ...ctx, secrets: { fred_api_key: 'f'.repeat(32) } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SourceHttpError);
    expect(refused).toMatchObject({ status: 400, body: { error_code: 400, error_message: expect.stringContaining('is not registered') } });
    expect(() => fred.request({ ...ctx, secrets: {} })).toThrow('the secret fred_api_key is not set');

    const { records, cursors } = await readWindow(fred, ctx.window, SECRETS);
    expect(JSON.stringify([records, cursors])).not.toContain(SIM_FRED_API_KEY);
    sim.addFault({ source: 'fred', malformed: true, times: 1 });
    const malformed = await readPage(fred, { ...ctx, secrets: SECRETS }).catch((e: Error) => e);
    expect((malformed as Error).message).not.toContain(SIM_FRED_API_KEY);
  });

  it('refuses settings without a series', () => {
    expect(() => createFredSource({ FRED_BASE_URL: base, FRED_SERIES: [] })).toThrow('FRED_SERIES names no series');
  });
});
