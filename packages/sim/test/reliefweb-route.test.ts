import { reliefwebReportsBetween } from '../src';
import { startDataSim } from './data-route-client';

const START = Date.parse('2026-03-05T12:00:00Z');
const reliefweb = startDataSim('reliefweb', START);
const { sim } = reliefweb;
beforeAll(reliefweb.start);
afterAll(reliefweb.close);
beforeEach(reliefweb.reset);

const DAY = [
  ['filter[field]', 'date.created'],
  ['filter[value][from]', '2026-03-01T00:00:00+00:00'],
  ['filter[value][to]', '2026-03-01T23:59:59+00:00'],
] as const;
const OLDEST_FIRST = [['sort[]', 'date.created:asc'] as const];

/** GET /v2/reports with the approved appname (unless given) and these parameters, percent-encoded. */
function reports(params: readonly (readonly [string, string])[], appname: string | null = 'conveyor-sim-a1b2') {
  const pairs = appname === null ? params : [['appname', appname] as const, ...params];
  return reliefweb.get(`/v2/reports?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`);
}

describe('ReliefWeb API v2 simulator: reports', () => {
  it('pages through a date.created range by offset and limit, oldest first, in ReliefWeb’s envelope', async () => {
    const expected = reliefwebReportsBetween(Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-02T00:00:00Z'), START);
    expect(expected.length).toBeGreaterThan(150);
    const seen: any[] = [];
    for (let offset = 0; ; offset += 100) {
      const { status, body } = await reports([...DAY, ...OLDEST_FIRST, ['limit', '100'], ['offset', String(offset)], ['fields[include][]', 'date.created']]);
      expect(status).toBe(200);
      expect(body.totalCount).toBe(expected.length);
      expect(body.count).toBe(body.data.length);
      expect(body.links.self.href).toContain(`offset=${offset}`);
      seen.push(...body.data);
      if (!body.links.next) break;
      expect(body.links.next.href).toContain(`offset=${offset + 100}`);
    }
    expect(seen.map((item) => item.id)).toEqual(expected.map((r) => String(r.id)));
    for (const item of seen) {
      expect(Object.keys(item).sort()).toEqual(['fields', 'href', 'id', 'score']);
      expect(item.href).toMatch(new RegExp(`/v2/reports/${item.id}$`));
      expect(item.fields.date.created).toMatch(/^2026-03-01T\d{2}:\d{2}:\d{2}\+00:00$/);
    }
    const created = seen.map((item) => Date.parse(item.fields.date.created));
    expect(created).toEqual([...created].sort((a, b) => a - b));
  });

  it('takes both ends of a range as inclusive, to the second', async () => {
    const [first, second] = reliefwebReportsBetween(Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-02T00:00:00Z'), START);
    const at = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, '+00:00');
    const range = (from: number, to: number) =>
      reports([['filter[field]', 'date.created'], ['filter[value][from]', at(from)], ['filter[value][to]', at(to)], ...OLDEST_FIRST]);
    expect((await range(first!.createdMs, first!.createdMs)).body.data.map((i: any) => i.id)).toEqual([String(first!.id)]);
    expect((await range(first!.createdMs + 1000, second!.createdMs - 1000)).body.totalCount).toBe(0);
  });

  it('returns the title by default and adds fields[include] by dotted path; limit=0 gives the total only', async () => {
    const plain = (await reports([...DAY, ['limit', '1']])).body.data[0];
    expect(Object.keys(plain.fields)).toEqual(['title']);
    const picked = (await reports([...DAY, ['limit', '1'], ['fields[include][]', 'date.created'], ['fields[include][]', 'primary_country.iso3']])).body.data[0];
    expect(Object.keys(picked.fields).sort()).toEqual(['date', 'primary_country', 'title']);
    expect(Object.keys(picked.fields.date)).toEqual(['created']);
    expect(picked.fields.primary_country.iso3).toMatch(/^[a-z]{3}$/);
    const full = (await reports([...DAY, ['limit', '1'], ['profile', 'full']])).body.data[0].fields;
    expect(full).toEqual(expect.objectContaining({ id: Number(plain.id), status: 'published', url: `https://reliefweb.int/node/${plain.id}` }));
    const total = await reports([...DAY, ['limit', '0']]);
    expect(total.body.count).toBe(0);
    expect(total.body.totalCount).toBeGreaterThan(150);
  });

  it('filters by values (OR lists, negate, conditions) and sorts by any sortable field', async () => {
    const sudan = (
      await reports([
        ['filter[field]', 'primary_country.iso3'],
        ['filter[value]', 'sdn'],
        ['limit', '50'],
        ['profile', 'full'],
      ])
    ).body.data;
    expect(sudan.length).toBe(50);
    for (const item of sudan) expect(item.fields.primary_country.name).toBe('Sudan');
    const both = await reports([
      ['filter[operator]', 'AND'],
      ['filter[conditions][0][field]', 'date.created'],
      ['filter[conditions][0][value][from]', '2026-03-01T00:00:00+00:00'],
      ['filter[conditions][0][value][to]', '2026-03-01T23:59:59+00:00'],
      ['filter[conditions][1][field]', 'primary_country.iso3'],
      ['filter[conditions][1][value][]', 'sdn'],
      ['filter[conditions][1][value][]', 'ken'],
      ['filter[conditions][1][operator]', 'OR'],
      ['filter[conditions][2][field]', 'format.name'],
      ['filter[conditions][2][value]', 'Situation Report'],
      ['filter[conditions][2][negate]', 'true'],
      ['sort[]', 'date.created:desc'],
      ['limit', '1000'],
      ['profile', 'full'],
    ]);
    const items = both.body.data as any[];
    expect(items.length).toBeGreaterThan(10);
    for (const item of items) {
      expect(['Sudan', 'Kenya']).toContain(item.fields.primary_country.name);
      expect(item.fields.format[0].name).not.toBe('Situation Report');
      expect(item.fields.date.created.slice(0, 10)).toBe('2026-03-01');
    }
    const created = items.map((item) => Date.parse(item.fields.date.created));
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it('refuses bad parameters with 400 and ReliefWeb’s error body', async () => {
    const refusal = async (params: readonly (readonly [string, string])[]) => {
      const { status, body } = await reports(params);
      expect(status).toBe(400);
      expect(body.error).toEqual(expect.objectContaining({ type: 'BadRequestHttpException', status: 400 }));
      return body.error.message as string;
    };
    expect(await refusal([['limit', '5000']])).toBe('Invalid "limit" specified. Valid values are between 0 and 1000');
    expect(await refusal([['limit', 'ten']])).toBe('Invalid "limit" specified. Valid values are between 0 and 1000');
    expect(await refusal([['offset', '-1']])).toMatch(/offset/);
    // An unencoded + in a GET date reads as a space, the documentation's own example of this error.
    expect(
      await refusal([
        ['filter[field]', 'date.created'],
        ['filter[value][from]', '2004-06-01T00:00:00 00:00'],
      ]),
    ).toBe("Invalid range 'from' value for field 'date.created'. It must be an ISO 8601 date.");
    expect(await refusal([...DAY, ['sort[]', 'colour:asc']])).toMatch(/sort/);
    expect(
      await refusal([
        ['filter[field]', 'colour'],
        ['filter[value]', 'red'],
      ]),
    ).toMatch(/filter field 'colour'/);
  });

  it('refuses a missing or unapproved appname with 403', async () => {
    for (const appname of [null, '', 'apidoc']) {
      const { status, body } = await reports(DAY, appname);
      expect(status).toBe(403);
      expect(body.error).toEqual(expect.objectContaining({ type: 'AccessDeniedHttpException', status: 403, message: expect.stringMatching(/appname/) }));
    }
  });

  it('gives the same reports for a range asked twice, and only new ones as time passes', async () => {
    const range = [
      ['filter[field]', 'date.created'],
      ['filter[value][from]', '2026-03-05T10:00:00+00:00'],
      ['filter[value][to]', '2026-03-05T13:59:59+00:00'],
      ...OLDEST_FIRST,
      ['limit', '1000'],
      ['fields[include][]', 'date.created'],
    ] as const;
    const before = (await reports(range)).body.data as any[];
    expect((await reports(range)).body.data).toEqual(before);
    for (const item of before) expect(Date.parse(item.fields.date.created)).toBeLessThanOrEqual(START);
    reliefweb.setNow(START + 3_600_000);
    const after = (await reports(range)).body.data as any[];
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.length).toBeGreaterThan(before.length);
    for (const item of after.slice(before.length)) expect(Date.parse(item.fields.date.created)).toBeGreaterThan(START);
  });

  it('answers a malformed page when told to', async () => {
    sim.addFault({ source: 'reliefweb', malformed: true, times: 1 });
    const broken = await reports(DAY);
    expect(broken.status).toBe(200);
    expect(Array.isArray(broken.body.data)).toBe(false);
    expect(Array.isArray((await reports(DAY)).body.data)).toBe(true);
  });
});
