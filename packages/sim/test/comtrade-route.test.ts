import { SIM_COMTRADE_SUBSCRIPTION_KEY } from '../src';
import { startDataSim } from './data-route-client';

const START = Date.parse('2026-12-05T12:00:00Z');
const comtrade = startDataSim('comtrade', START);
beforeAll(comtrade.start);
afterAll(comtrade.close);
beforeEach(comtrade.reset);

const KEY = { 'Ocp-Apim-Subscription-Key': SIM_COMTRADE_SUBSCRIPTION_KEY };
const get = (path: string, query: string, headers: Record<string, string> = KEY) => comtrade.get(`/data/v1/get/${path}?${query}`, headers);
const USA_TOTALS = 'reporterCode=842&partnerCode=0&flowCode=M,X&cmdCode=TOTAL&includeDesc=true';
const periodsOf = (body: any) => [...new Set(body.data.map((r: any) => r.period))];

describe('UN Comtrade simulator: /data/v1/get/{typeCode}/{freqCode}/{clCode}', () => {
  it('refuses a request without the subscription key, or with another, as API Management does', async () => {
    expect(await get('C/M/HS', `${USA_TOTALS}&period=202401`, {})).toEqual({
      status: 401,
      type: expect.any(String),
      body: {
        statusCode: 401,
        message: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
      },
    });
    const wrong = await get('C/M/HS', `${USA_TOTALS}&period=202401`, { 'Ocp-Apim-Subscription-Key': 'f'.repeat(32) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe('Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.');
    // The subscription-key parameter works too, and is not recorded.
    const byQuery = await get('C/M/HS', `${USA_TOTALS}&period=202401&subscription-key=${SIM_COMTRADE_SUBSCRIPTION_KEY}`, {});
    expect(byQuery.body.count).toBe(2);
    expect(comtrade.sim.requestsOf('comtrade').at(-1)!.query['subscription-key']).toBe('***');
  });

  it('answers {elapsedTime, count, data, error} with one record per period and flow of a reporter’s totals', async () => {
    const { status, body } = await get('C/M/HS', `${USA_TOTALS}&period=202401,202402,202403`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ elapsedTime: expect.stringMatching(/secs$/), count: 6, error: '' });
    expect(body.data.map((r: any) => `${r.period} ${r.flowCode}`)).toEqual(['202401 M', '202401 X', '202402 M', '202402 X', '202403 M', '202403 X']);
    expect(body.data[0]).toMatchObject({
      typeCode: 'C',
      freqCode: 'M',
      refPeriodId: 20240101,
      refYear: 2024,
      refMonth: 1,
      period: '202401',
      reporterCode: 842,
      reporterISO: 'USA',
      reporterDesc: 'USA',
      flowCode: 'M',
      flowDesc: 'Import',
      partnerCode: 0,
      partnerISO: 'W00',
      partnerDesc: 'World',
      classificationCode: 'H6',
      classificationSearchCode: 'HS',
      cmdCode: 'TOTAL',
      cmdDesc: 'All Commodities',
      customsCode: 'C00',
      motCode: 0,
      primaryValue: expect.any(Number),
    });
    expect(body.data[0].cifvalue).toBe(body.data[0].primaryValue);
    expect(body.data[1].fobvalue).toBe(body.data[1].primaryValue);
    // Without includeDesc, no descriptions.
    const bare = (await get('C/M/HS', 'reporterCode=842&partnerCode=0&cmdCode=TOTAL&period=202401')).body.data[0];
    expect(bare).toMatchObject({ reporterDesc: null, cmdDesc: null, primaryValue: body.data[0].primaryValue });
  });

  it('gives the same records when asked twice, and a month only once the reporter has published it', async () => {
    const query = `${USA_TOTALS}&period=202601,202602,202603,202604,202605,202606,202607,202608,202609,202610,202611`;
    comtrade.setNow(Date.parse('2026-06-01T00:00:00Z'));
    const early = (await get('C/M/HS', query)).body;
    expect((await get('C/M/HS', query)).body).toEqual(early);
    comtrade.setNow(START);
    const later = (await get('C/M/HS', query)).body;
    expect(periodsOf(later).length).toBeGreaterThan(periodsOf(early).length);
    expect(periodsOf(later).length).toBeLessThan(11); // November is not out in early December
    expect(later.data.slice(0, early.data.length)).toEqual(early.data);
  });

  it('filters by reporter, partner, flow and commodity; what it does not know finds nothing', async () => {
    const count = async (query: string) => (await get('C/M/HS', `period=202401&${query}`)).body.count;
    expect(await count('reporterCode=842,156&partnerCode=0&cmdCode=TOTAL&flowCode=M')).toBe(2);
    expect(await count('reporterCode=842&cmdCode=TOTAL&flowCode=M')).toBe(34); // the world and 33 other reporters
    expect(await count('reporterCode=842&partnerCode=0&cmdCode=AG2&flowCode=X')).toBe(96);
    expect(await count('reporterCode=842&partnerCode=0&cmdCode=27,84&flowCode=RX')).toBe(2);
    expect(await count('reporterCode=999&partnerCode=0&cmdCode=TOTAL')).toBe(0);
    expect(await count('reporterCode=842&partnerCode=0&flowCode=Q')).toBe(0);
    // A year where months are asked for: nothing, and no error (as Comtrade answers it).
    expect((await get('C/M/HS', `${USA_TOTALS}&period=2024`)).body).toMatchObject({ count: 0, data: [], error: '' });
    expect((await get('S/M/EB', `${USA_TOTALS}&period=202401`)).body.count).toBe(0);
  });

  it('answers annual data by year, and refuses more than 12 periods in its error field', async () => {
    const annual = (await get('C/A/HS', `${USA_TOTALS}&period=2023,2024`)).body;
    expect(annual.data.map((r: any) => [r.period, r.refMonth, r.refPeriodId])).toEqual([
      ['2023', 52, 20230101],
      ['2023', 52, 20230101],
      ['2024', 52, 20240101],
      ['2024', 52, 20240101],
    ]);
    const periods = Array.from({ length: 13 }, (_, i) => `2024${String((i % 12) + 1).padStart(2, '0')}`).join(',');
    expect((await get('C/M/HS', `${USA_TOTALS}&period=${periods}`)).body).toMatchObject({ count: 0, data: [], error: expect.stringContaining('12') });
  });

  it('cuts an answer at maxRecords (500 by default)', async () => {
    const query = 'reporterCode=842,156&partnerCode=0&cmdCode=AG2&period=202401,202402';
    expect((await get('C/M/HS', `${query}&maxRecords=100`)).body.count).toBe(100);
    expect((await get('C/M/HS', query)).body.count).toBe(500);
    expect((await get('C/M/HS', `${query}&maxRecords=1000`)).body.count).toBe(768);
  });

  it('answers a malformed page (records under another name) when told to', async () => {
    comtrade.sim.addFault({ source: 'comtrade', malformed: true, times: 1 });
    const page = (await get('C/M/HS', `${USA_TOTALS}&period=202401`)).body;
    expect(page.data).toBeUndefined();
    expect((await get('C/M/HS', `${USA_TOTALS}&period=202401`)).body.data).toHaveLength(2);
  });
});
