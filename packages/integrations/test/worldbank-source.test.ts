import { DataSourcesSimulator } from '@conveyor/sim';
import { MalformedPageError, createWorldBankSource, type SourceRecord } from '../src';
import { readPage, readWindow, uniqueIds, window } from './source-page-loop';

const START = Date.parse('2026-12-05T12:00:00Z');
let now = START;
const sim = new DataSourcesSimulator({ sources: ['worldbank'], now: () => now });
const INDICATORS = ['NY.GDP.MKTP.CD', 'SP.POP.TOTL'];
let base = '';
const source = (countries: string[] = ['all'], indicators = INDICATORS) =>
  createWorldBankSource({ WORLDBANK_BASE_URL: base, WORLDBANK_INDICATORS: indicators, WORLDBANK_COUNTRIES: countries });
beforeAll(async () => void (base = await sim.listen()));
afterAll(() => sim.close());
beforeEach(() => {
  now = START;
  sim.reset();
});

/** The rows with a value the simulator has for an indicator over some years, asked directly in one page. */
async function simValues(indicator: string, years: string): Promise<number> {
  const [, rows] = (await (await fetch(`${base}/v2/country/all/indicator/${indicator}?format=json&date=${years}&per_page=32000`)).json()) as [
    unknown,
    { value: number | null }[],
  ];
  return rows.filter((r) => r.value !== null).length;
}

const idsOf = (records: readonly SourceRecord[]) => uniqueIds(records);

describe('the World Bank source against the simulated Indicators API', () => {
  it('reads every page of every indicator for the window’s years, one record per economy and year with a value', async () => {
    const fifteen = window('2006-01-01T00:00:00Z', '2021-01-01T00:00:00Z');
    const { records, pages } = await readWindow(source(), fifteen);
    const expected = (await simValues(INDICATORS[0]!, '2006:2020')) + (await simValues(INDICATORS[1]!, '2006:2020'));
    expect(records).toHaveLength(expected);
    expect(pages).toBe(4); // each indicator's 15 years of every economy in two pages of 1000 rows
    expect(sim.requestsOf('worldbank').map((r) => `${r.path} ${r.query.date} ${r.query.page}`)).toEqual(
      expect.arrayContaining([`/v2/country/all/indicator/NY.GDP.MKTP.CD 2006:2020 1`, `/v2/country/all/indicator/SP.POP.TOTL 2006:2020 2`]),
    );
    idsOf(records);
    expect(records.find((r) => r.external_id === 'NY.GDP.MKTP.CD:USA:2015')).toEqual({
      external_id: 'NY.GDP.MKTP.CD:USA:2015',
      raw: expect.objectContaining({ countryiso3code: 'USA', date: '2015', decimal: 0, unit: '' }),
      occurred_on: '2015-01-01',
      country: 'USA',
      series_id: 'NY.GDP.MKTP.CD',
      value: expect.any(Number),
      title: 'GDP (current US$), United States, 2015',
    });
    expect(records.some((r) => r.country === 'WLD')).toBe(true); // aggregates keep their code
    expect(records.every((r) => r.value !== null)).toBe(true);
    expect((await readWindow(source(), fifteen)).records).toEqual(records);
  });

  it('brings only new rows in a later window, and values as economies publish them', async () => {
    const first = idsOf((await readWindow(source(), window('2011-01-01T00:00:00Z', '2016-01-01T00:00:00Z'))).records);
    const second = idsOf((await readWindow(source(), window('2016-01-01T00:00:00Z', '2021-01-01T00:00:00Z'))).records);
    expect(first.filter((id) => second.includes(id))).toEqual([]);
    const decade = idsOf((await readWindow(source(), window('2011-01-01T00:00:00Z', '2021-01-01T00:00:00Z'))).records);
    expect([...first, ...second].sort()).toEqual([...decade].sort());

    const lastYear = window('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
    now = Date.parse('2026-03-01T00:00:00Z');
    const early = idsOf((await readWindow(source(), lastYear)).records);
    now = Date.parse('2027-06-01T00:00:00Z');
    const later = idsOf((await readWindow(source(), lastYear)).records);
    expect(later).toEqual(expect.arrayContaining(early));
    expect(later.length).toBeGreaterThan(early.length);
  });

  it('sets the watermark at the start of the earliest of the indicators’ last years with values', async () => {
    const run = window('2016-01-01T00:00:00Z', new Date(START).toISOString());
    const { records } = await readWindow(source(), run);
    const lastYear = (id: string) => Math.max(...records.filter((r) => r.series_id === id).map((r) => Number(r.occurred_on!.slice(0, 4))));
    const earliest = Math.min(...INDICATORS.map(lastYear));
    expect(earliest).toBeGreaterThanOrEqual(2024);
    expect(source().watermark!(run, records)).toEqual(new Date(Date.UTC(earliest, 0, 1)));
    expect(source().watermark!(run, [])).toEqual(new Date(START - 3 * 366 * 86_400_000)); // nothing: at most three years behind
  });

  it('reads a list of economies, and fails with the API’s message when it refuses a code', async () => {
    const { records } = await readWindow(source(['USA', 'deu']), window('2015-01-01T00:00:00Z', '2016-01-01T00:00:00Z'));
    expect(records.map((r) => r.external_id).sort()).toEqual([
      'NY.GDP.MKTP.CD:DEU:2015',
      'NY.GDP.MKTP.CD:USA:2015',
      'SP.POP.TOTL:DEU:2015',
      'SP.POP.TOTL:USA:2015',
    ]);
    expect(sim.requestsOf('worldbank')[0]!.path).toBe('/v2/country/USA;deu/indicator/NY.GDP.MKTP.CD');

    const ctx = { window: window('2015-01-01T00:00:00Z', '2016-01-01T00:00:00Z'), cursor: undefined, secrets: {} };
    await expect(readPage(source(['USA', 'XYZ']), ctx)).rejects.toThrow(
      'page 1 of worldbank NY.GDP.MKTP.CD: the World Bank refused the request (120 Invalid value: The provided parameter value is not valid); check WORLDBANK_COUNTRIES and WORLDBANK_INDICATORS',
    );
    await expect(readPage(source(['USA'], ['NO.SUCH']), ctx)).rejects.toThrow('(175 Invalid format: The indicator was not found.');
  });

  it('fails a page that is not the API’s shape with MalformedPageError saying where', async () => {
    sim.addFault({ source: 'worldbank', malformed: true, times: 1 });
    const ctx = { window: window('2015-01-01T00:00:00Z', '2016-01-01T00:00:00Z'), cursor: undefined, secrets: {} };
    const error = await readPage(source(), ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedPageError);
    expect((error as Error).message).toMatch(/^page 1 of worldbank NY.GDP.MKTP.CD: the page/);
    const cursor = { indicator: 'SP.POP.TOTL', page: 2 };
    const meta = { page: 2, pages: 2, per_page: '1000', total: 1001 };
    const row = {
      indicator: { id: 'SP.POP.TOTL', value: 'Population, total' },
      country: { id: 'US', value: 'United States' },
      countryiso3code: 'USA',
      date: '2015',
    };
    expect(() => source().parse([meta, [{ ...row, value: '12' }]], { ...ctx, cursor })).toThrow(
      'page 2 of worldbank SP.POP.TOTL: [1][0].value is a string, not number',
    );
    expect(() => source().parse([meta, [{ ...row, date: '2015M13', value: 1 }]], { ...ctx, cursor })).toThrow('[1][0].date: not a year');
    // A page number given as a string, as older answers have it, is read.
    expect(source().parse([meta, [{ ...row, date: '2015Q3', value: 1 }]], { ...ctx, cursor }).records[0]!.occurred_on).toBe('2015-07-01');
  });

  it('refuses settings without an indicator or an economy', () => {
    expect(() => source(['all'], [])).toThrow('WORLDBANK_INDICATORS names no indicator');
    expect(() => source([])).toThrow('WORLDBANK_COUNTRIES names no economy');
  });
});
