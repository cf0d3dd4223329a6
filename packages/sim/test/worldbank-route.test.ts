import { startDataSim } from './data-route-client';

const START = Date.parse('2026-12-05T12:00:00Z');
const wb = startDataSim('worldbank', START);
beforeAll(wb.start);
afterAll(wb.close);
beforeEach(wb.reset);

const GDP = 'NY.GDP.MKTP.CD';
const indicator = (countries: string, id: string, query: string) => wb.get(`/v2/country/${countries}/indicator/${id}?format=json&${query}`);
const INVALID_VALUE = [{ message: [{ id: '120', key: 'Invalid value', value: 'The provided parameter value is not valid' }] }];

describe('World Bank simulator: /v2/country/{codes}/indicator/{id}', () => {
  it('answers [meta, rows] for the countries and years asked, each country’s years newest first', async () => {
    const { status, body } = await indicator('USA;DEU', GDP, 'date=2015:2020&per_page=100');
    expect(status).toBe(200);
    const [meta, rows] = body;
    expect(meta).toEqual({
      page: 1,
      pages: 1,
      per_page: 100,
      total: 12,
      sourceid: '2',
      sourcename: 'World Development Indicators',
      lastupdated: '2026-12-01',
    });
    expect(rows.map((r: any) => `${r.countryiso3code} ${r.date}`)).toEqual([
      ...['2020', '2019', '2018', '2017', '2016', '2015'].map((y) => `DEU ${y}`),
      ...['2020', '2019', '2018', '2017', '2016', '2015'].map((y) => `USA ${y}`),
    ]);
    expect(rows.at(-1)).toEqual({
      indicator: { id: GDP, value: 'GDP (current US$)' },
      country: { id: 'US', value: 'United States' },
      countryiso3code: 'USA',
      date: '2015',
      value: expect.any(Number),
      unit: '',
      obs_status: '',
      decimal: 0,
    });
    // ISO2 codes and lower case name the same economies.
    expect((await indicator('us;de', GDP, 'date=2015:2020&per_page=100')).body).toEqual(body);
  });

  it('pages through `all` by page and per_page, the pages making up the whole; past the last page, no rows', async () => {
    const whole = (await indicator('all', 'SP.POP.TOTL', 'date=2011:2020&per_page=5000')).body;
    const total = whole[0].total;
    expect(total).toBeGreaterThan(500); // every economy, aggregates first, ten years each
    expect(whole[1][0].country.value).toBe('East Asia & Pacific');
    const rows = [];
    const pages = Math.ceil(total / 200);
    for (let page = 1; page <= pages; page++) {
      const [meta, slice] = (await indicator('all', 'SP.POP.TOTL', `date=2011:2020&per_page=200&page=${page}`)).body;
      expect(meta).toMatchObject({ page, pages, per_page: 200, total });
      rows.push(...slice);
    }
    expect(rows).toEqual(whole[1]);
    expect((await indicator('all', 'SP.POP.TOTL', `date=2011:2020&per_page=200&page=${pages + 1}`)).body[1]).toBeNull();
    expect((await indicator('all', 'SP.POP.TOTL', 'date=2011:2020')).body[0].per_page).toBe(50); // the default
  });

  it('gives the same rows when asked twice; a year’s values appear as they are published, a new year when it ends', async () => {
    wb.setNow(Date.parse('2026-03-01T00:00:00Z'));
    const early = (await indicator('all', GDP, 'date=2025&per_page=1000')).body;
    expect((await indicator('all', GDP, 'date=2025&per_page=1000')).body).toEqual(early);
    const published = (body: any) => body[1].filter((r: any) => r.value !== null).length;
    wb.setNow(Date.parse('2027-06-01T00:00:00Z'));
    const later = (await indicator('all', GDP, 'date=2025&per_page=1000')).body;
    expect(later[1].map((r: any) => r.countryiso3code)).toEqual(early[1].map((r: any) => r.countryiso3code));
    expect(published(later)).toBeGreaterThan(published(early));
    // A value once published does not change.
    for (const [i, row] of early[1].entries()) if (row.value !== null) expect(later[1][i].value).toBe(row.value);

    wb.setNow(START);
    expect((await indicator('USA', GDP, 'date=2026')).body).toEqual([
      { page: 0, pages: 0, per_page: 50, total: 0, sourceid: null, sourcename: null, lastupdated: '2026-12-01' },
      null,
    ]);
    wb.setNow(Date.parse('2027-01-02T00:00:00Z'));
    expect((await indicator('USA', GDP, 'date=2026')).body[1]).toEqual([expect.objectContaining({ date: '2026', value: null })]);
  });

  it('refuses unknown countries, indicators and bad parameters with HTTP 200 and the API’s message', async () => {
    expect(await indicator('USA;XYZ', GDP, 'date=2020')).toEqual({ status: 200, type: expect.any(String), body: INVALID_VALUE });
    expect((await indicator('USA', 'NO.SUCH.INDICATOR', 'date=2020')).body).toEqual([
      { message: [{ id: '175', key: 'Invalid format', value: 'The indicator was not found. It may have been deleted or archived.' }] },
    ]);
    for (const query of ['date=20x0', 'date=2020:2010', 'per_page=0', 'page=x'])
      expect({ query, body: (await indicator('USA', GDP, query)).body }).toEqual({ query, body: INVALID_VALUE });
  });

  it('answers XML unless format=json', async () => {
    const rows = await wb.get(`/v2/country/USA/indicator/${GDP}?date=2015`);
    expect(rows.type).toMatch(/^text\/xml/);
    expect(rows.body).toContain('<wb:data page="1" pages="1" per_page="50" total="1"');
    expect(rows.body).toContain('<wb:countryiso3code>USA</wb:countryiso3code>');
    const error = await wb.get(`/v2/country/XYZ/indicator/${GDP}`);
    expect(error.body).toContain('<wb:message id="120" key="Invalid value">The provided parameter value is not valid</wb:message>');
  });

  it('answers a malformed page (meta without rows) when told to', async () => {
    wb.sim.addFault({ source: 'worldbank', malformed: true, times: 1 });
    expect((await indicator('USA', GDP, 'date=2015')).body).toHaveLength(1);
    expect((await indicator('USA', GDP, 'date=2015')).body).toHaveLength(2);
  });
});
