import { DataSourcesSimulator, SIM_COMTRADE_SUBSCRIPTION_KEY } from '@conveyor/sim';
import { MalformedPageError, createComtradeSource } from '../src';
import { SourceHttpError, readPage, readWindow, uniqueIds, window } from './source-page-loop';

const START = Date.parse('2026-12-05T12:00:00Z');
let now = START;
const sim = new DataSourcesSimulator({ sources: ['comtrade'], now: () => now });
const SECRETS = { comtrade_subscription_key: SIM_COMTRADE_SUBSCRIPTION_KEY };
const REPORTERS = ['842', '156', '276'];
let base = '';
const source = () => createComtradeSource({ COMTRADE_BASE_URL: base, COMTRADE_REPORTERS: REPORTERS });
beforeAll(async () => void (base = await sim.listen()));
afterAll(() => sim.close());
beforeEach(() => {
  now = START;
  sim.reset();
});

/** How many records the simulator has for a reporter's totals over some months, asked directly. */
async function simCount(reporter: string, periods: string[]): Promise<number> {
  const query = `reporterCode=${reporter}&period=${periods.join(',')}&partnerCode=0&flowCode=M,X&cmdCode=TOTAL`;
  const res = await fetch(`${base}/data/v1/get/C/M/HS?${query}`, { headers: { 'Ocp-Apim-Subscription-Key': SIM_COMTRADE_SUBSCRIPTION_KEY } });
  return ((await res.json()) as { count: number }).count;
}
const monthsOfYear = (year: number) => Array.from({ length: 12 }, (_, i) => `${year}${String(i + 1).padStart(2, '0')}`);
const context = (secrets: Record<string, string> = SECRETS) => ({ window: window('2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z'), cursor: undefined, secrets });

describe('the Comtrade source against the simulated Comtrade API', () => {
  it('reads each reporter’s months of a window, twelve periods a request, one record per month and flow', async () => {
    const twoYears = window('2023-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
    const { records, pages } = await readWindow(source(), twoYears, SECRETS);
    let expected = 0;
    for (const reporter of REPORTERS) for (const year of [2023, 2024]) expected += await simCount(reporter, monthsOfYear(year));
    expect(expected).toBe(3 * 24 * 2);
    expect(records).toHaveLength(expected);
    expect(pages).toBe(6);
    const requests = sim.requestsOf('comtrade').slice(0, 6);
    expect(requests.map((r) => `${r.query.reporterCode} ${r.query.period!.split(',').length} ${r.query.period!.slice(0, 6)}`)).toEqual([
      '842 12 202301',
      '842 12 202401',
      '156 12 202301',
      '156 12 202401',
      '276 12 202301',
      '276 12 202401',
    ]);
    expect(requests[0]!.query).toMatchObject({ partnerCode: '0', flowCode: 'M,X', cmdCode: 'TOTAL', includeDesc: 'true' });
    expect(requests[0]!.query['subscription-key']).toBeUndefined(); // the key travels in a header

    uniqueIds(records);
    expect(records.find((r) => r.external_id === 'C:M:842:202403:X:0:0:TOTAL:C00:0')).toEqual({
      external_id: 'C:M:842:202403:X:0:0:TOTAL:C00:0',
      raw: expect.objectContaining({ reporterCode: 842, period: '202403', flowCode: 'X', fobvalue: expect.any(Number), classificationCode: 'H6' }),
      occurred_on: '2024-03-01',
      country: 'USA',
      series_id: 'TOTAL',
      value: expect.any(Number),
      title: 'USA exports, World, All Commodities, 2024-03',
    });
    expect((await readWindow(source(), twoYears, SECRETS)).records).toEqual(records);
  });

  it('brings only new records in a later window, and months as reporters publish them', async () => {
    const first = uniqueIds((await readWindow(source(), window('2024-01-01T00:00:00Z', '2024-07-01T00:00:00Z'), SECRETS)).records);
    const second = uniqueIds((await readWindow(source(), window('2024-07-01T00:00:00Z', '2025-01-01T00:00:00Z'), SECRETS)).records);
    expect(first).toHaveLength(36);
    expect(first.filter((id) => second.includes(id))).toEqual([]);

    const thisYear = window('2026-01-01T00:00:00Z', '2026-12-01T00:00:00Z');
    now = Date.parse('2026-06-01T00:00:00Z');
    const early = uniqueIds((await readWindow(source(), thisYear, SECRETS)).records);
    now = START;
    const later = uniqueIds((await readWindow(source(), thisYear, SECRETS)).records);
    expect(later).toEqual(expect.arrayContaining(early));
    expect(later.length).toBeGreaterThan(early.length);
    expect(later.length).toBeLessThan(3 * 11 * 2); // nobody has published November yet
  });

  it('sets the watermark at the first day of the earliest of the reporters’ last months', async () => {
    const run = window('2026-01-01T00:00:00Z', new Date(START).toISOString());
    const { records } = await readWindow(source(), run, SECRETS);
    const lastMonth = (reporter: string) =>
      records
        .filter((r) => r.external_id.startsWith(`C:M:${reporter}:`))
        .map((r) => r.occurred_on!)
        .sort()
        .at(-1)!;
    const earliest = REPORTERS.map(lastMonth).sort()[0]!;
    expect(source().watermark!(run, records).toISOString()).toBe(`${earliest}T00:00:00.000Z`);
    // A reporter without a month in the window holds it at the window's start.
    const withoutChina = records.filter((r) => !r.external_id.startsWith('C:M:156:'));
    expect(source().watermark!(run, withoutChina)).toEqual(run.from);
  });

  it('gets the 401 of a missing or wrong subscription key, and never puts the key in a URL, cursor or record', async () => {
    const wrong = await readPage(source(), context({ comtrade_subscription_key: '0'.repeat(32) })).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(SourceHttpError);
    expect(wrong).toMatchObject({ status: 401, body: { statusCode: 401, message: expect.stringContaining('invalid subscription key') } });
    expect(() => source().request(context({}))).toThrow('the secret comtrade_subscription_key is not set');
    const missing = await fetch(source().request(context()).url);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { message: string }).message).toContain('missing subscription key');

    const { records, cursors } = await readWindow(source(), context().window, SECRETS);
    expect(source().request(context()).url).not.toContain(SIM_COMTRADE_SUBSCRIPTION_KEY);
    expect(JSON.stringify([records, cursors])).not.toContain(SIM_COMTRADE_SUBSCRIPTION_KEY);
  });

  it('fails a malformed page, Comtrade’s error field and a cut-off answer with MalformedPageError', async () => {
    sim.addFault({ source: 'comtrade', malformed: true, times: 1 });
    const malformed = await readPage(source(), context()).catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(MalformedPageError);
    expect((malformed as Error).message).toBe('page of comtrade reporter 842, periods 202401-202412: data is missing');
    expect(() => source().parse({ count: 0, data: [], error: 'Invalid parameter' }, context())).toThrow(
      'page of comtrade reporter 842, periods 202401-202412: Comtrade refused the request: Invalid parameter',
    );
    const page = (await (await fetch(source().request(context()).url, { headers: source().request(context()).headers })).json()) as { data: unknown[] };
    const full = { count: 2500, data: Array.from({ length: 2500 }, () => page.data[0]), error: '' };
    expect(() => source().parse(full, context())).toThrow("the answer has 2500 records, Comtrade's cut-off (maxRecords)");
  });

  it('refuses settings without a reporter', () => {
    expect(() => createComtradeSource({ COMTRADE_BASE_URL: base, COMTRADE_REPORTERS: [] })).toThrow('COMTRADE_REPORTERS names no reporter');
  });
});
