import { SIM_FRED_API_KEY } from '../src';
import { startDataSim } from './data-route-client';

const START = Date.parse('2026-12-05T12:00:00Z');
const fred = startDataSim('fred', START);
beforeAll(fred.start);
afterAll(fred.close);
beforeEach(fred.reset);

const observations = (query: string, key = SIM_FRED_API_KEY) => fred.get(`/fred/series/observations?api_key=${key}&file_type=json&${query}`);
const datesOf = (body: any) => body.observations.map((o: { date: string }) => o.date);

describe('FRED simulator: fred/series/observations', () => {
  it('answers the observations of a series between two dates in FRED’s JSON envelope', async () => {
    const { status, body } = await observations('series_id=GDP&observation_start=2020-01-01&observation_end=2020-12-31');
    expect(status).toBe(200);
    expect(body).toEqual({
      realtime_start: '2026-12-05',
      realtime_end: '2026-12-05',
      observation_start: '2020-01-01',
      observation_end: '2020-12-31',
      units: 'lin',
      output_type: 1,
      file_type: 'json',
      order_by: 'observation_date',
      sort_order: 'asc',
      count: 4,
      offset: 0,
      limit: 100000,
      observations: ['2020-01-01', '2020-04-01', '2020-07-01', '2020-10-01'].map((date) => ({
        realtime_start: '2026-12-05',
        realtime_end: '2026-12-05',
        date,
        value: expect.stringMatching(/^\d+\.\d{3}$/),
      })),
    });
  });

  it('pages by offset and limit over `count`, ascending or descending, the pages making up the whole', async () => {
    const window = 'series_id=DGS10&observation_start=2024-01-01&observation_end=2025-12-31';
    const whole = (await observations(window)).body;
    expect(whole.count).toBeGreaterThan(500); // business days of two years
    expect(whole.observations).toHaveLength(whole.count);
    const pages = [];
    for (let offset = 0; offset < whole.count; offset += 200) {
      const page = (await observations(`${window}&limit=200&offset=${offset}`)).body;
      expect(page).toMatchObject({ count: whole.count, offset, limit: 200 });
      pages.push(...page.observations);
    }
    expect(pages).toEqual(whole.observations);
    const last = (await observations(`${window}&limit=200&offset=${whole.count}`)).body;
    expect(last.observations).toEqual([]);
    const descending = (await observations(`${window}&sort_order=desc&limit=3`)).body;
    expect(datesOf(descending)).toEqual(datesOf(whole).slice(-3).reverse());
    // Business days only, and the holidays' "." among numbers.
    expect(datesOf(whole).every((d: string) => ![0, 6].includes(new Date(d).getUTCDay()))).toBe(true);
    const values = whole.observations.map((o: { value: string }) => o.value);
    expect(values).toContain('.');
    expect(values.filter((v: string) => v !== '.').every((v: string) => /^\d+\.\d{2}$/.test(v))).toBe(true);
  });

  it('gives the same observations when asked twice, and publishes new ones only as time passes', async () => {
    const window = 'series_id=GDP&observation_start=2026-01-01&observation_end=2026-12-31';
    fred.setNow(Date.parse('2026-10-15T00:00:00Z')); // Q2 out since late July, Q3 not before 30 October
    const before = (await observations(window)).body;
    expect(datesOf(before)).toEqual(['2026-01-01', '2026-04-01']);
    expect((await observations(window)).body).toEqual(before);
    fred.setNow(Date.parse('2026-11-01T00:00:00Z'));
    const after = (await observations(window)).body;
    expect(datesOf(after)).toEqual(['2026-01-01', '2026-04-01', '2026-07-01']);
    expect(after.observations.slice(0, 2).map((o: { value: string }) => o.value)).toEqual(before.observations.map((o: { value: string }) => o.value));
    // Monthly series a week after the month: November's unemployment rate is not out on 5 December.
    fred.setNow(START);
    expect(datesOf((await observations('series_id=UNRATE&observation_start=2026-10-01')).body)).toEqual(['2026-10-01']);
  });

  it('refuses a missing, malformed or unregistered api_key with FRED’s 400 and error body', async () => {
    const refusal = async (query: string) => (await fred.get(`/fred/series/observations?file_type=json&series_id=GDP${query}`)).body;
    expect(await refusal('')).toEqual({ error_code: 400, error_message: expect.stringContaining('Variable api_key has not been set.') });
    expect((await refusal('&api_key=ABC')).error_message).toContain('is not a 32 character alpha-numeric lower-case string');
    expect((await refusal(`&api_key=${'0'.repeat(32)}`)).error_message).toContain('The value for variable api_key is not registered.');
    expect((await fred.get('/fred/series/observations?file_type=json&series_id=GDP')).status).toBe(400);
    // The key never reaches the recorded requests.
    await observations('series_id=GDP');
    expect(fred.sim.requestsOf('fred').at(-1)!.query).toMatchObject({ api_key: '***', series_id: 'GDP' });
  });

  it('refuses an unknown series and bad parameters with 400 naming the problem', async () => {
    const message = async (query: string) => {
      const { status, body } = await observations(query);
      expect(status).toBe(400);
      return body.error_message as string;
    };
    expect(await message('series_id=NOSUCHSERIES')).toBe('Bad Request.  The series does not exist.');
    expect(await message('')).toContain('series_id has not been set');
    expect(await message('series_id=GDP&limit=0')).toContain('limit is not between 1 and 100000');
    expect(await message('series_id=GDP&limit=100001')).toContain('limit is not between 1 and 100000');
    expect(await message('series_id=GDP&offset=-1')).toContain('offset is not a non-negative integer');
    expect(await message('series_id=GDP&observation_start=2020-02-30')).toContain('observation_start is not a valid date');
    expect(await message('series_id=GDP&observation_start=2021-01-01&observation_end=2020-01-01')).toContain('can not be after');
    expect(await message('series_id=GDP&sort_order=up')).toContain('sort_order');
  });

  it('answers XML, errors included, unless file_type=json', async () => {
    const error = await fred.get('/fred/series/observations?series_id=GDP');
    expect(error.status).toBe(400);
    expect(error.type).toMatch(/^text\/xml/);
    expect(error.body).toContain('<error code="400" message="Bad Request.  Variable api_key has not been set.');
    const data = await fred.get(`/fred/series/observations?series_id=GDP&api_key=${SIM_FRED_API_KEY}&observation_start=2020-01-01&observation_end=2020-03-31`);
    expect(data.status).toBe(200);
    expect(data.body).toContain('<observations realtime_start="2026-12-05"');
    expect(data.body).toMatch(/<observation realtime_start="2026-12-05" realtime_end="2026-12-05" date="2020-01-01" value="[\d.]+"\/>/);
  });

  it('answers a malformed page (no observations) when told to', async () => {
    fred.sim.addFault({ source: 'fred', malformed: true, times: 1 });
    const page = await observations('series_id=GDP');
    expect(page.status).toBe(200);
    expect(page.body.observations).toBeUndefined();
    expect((await observations('series_id=GDP')).body.observations.length).toBeGreaterThan(300);
  });
});
