import { SIM_PARTNERS, SIM_REPORTERS, type SimArea } from './comtrade-areas';
import { CHAPTERS, FLOWS, TOTAL, comtradeRecords, type FlowCode, type SimCommodity } from './comtrade-records';
import type { DataSourceRoute, SimAnswer, SimRequest } from './data-route';

/** The one subscription key the Comtrade simulator accepts (32 hex digits, as Azure API Management's keys). */
export const SIM_COMTRADE_SUBSCRIPTION_KEY = '5eedc0ffee5eedc0ffee5eedc0ffee00';

const PATH = /^\/data\/v1\/get\/([^/]+)\/([^/]+)\/([^/]+)$/;
const MAX_PERIODS = 12;
const DEFAULT_MAX_RECORDS = 500;
const MAX_RECORDS = 250_000;

/**
 * UN Comtrade's final data API, /data/v1/get/{typeCode}/{freqCode}/{clCode} (goods, HS): the
 * records of the reporters, periods (at most 12), partners, flows and commodities asked for,
 * up to maxRecords (500 by default), as {elapsedTime, count, data, error}. The key goes in
 * the Ocp-Apim-Subscription-Key header (or the subscription-key parameter); without it, or
 * with another, API Management answers 401 {statusCode, message}. As on Comtrade, values it
 * does not know (a reporter, a flow, a period in the wrong form) just find nothing.
 */
export const comtradeRoute: DataSourceRoute = {
  source: 'comtrade',
  secretParams: ['subscription-key'],
  serves: (pathname) => PATH.test(pathname),
  answer,
  // Records under `elements` where the API puts them under `data`.
  malformed: () => ({ status: 200, body: { elapsedTime: '0.01 secs', count: 1, elements: [{ period: '202601', primaryValue: 1 }], error: '' } }),
};

function answer({ url, headers, now }: SimRequest): SimAnswer {
  const q = url.searchParams;
  const header = headers['ocp-apim-subscription-key'];
  const key = (Array.isArray(header) ? header[0] : header) ?? q.get('subscription-key');
  if (!key) return denied('Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.');
  if (key !== SIM_COMTRADE_SUBSCRIPTION_KEY)
    return denied('Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.');

  const [, typeCode, freqCode, clCode] = PATH.exec(url.pathname)!;
  const periods = list(q.get('period'));
  if (periods.length > MAX_PERIODS) return data([], `The number of periods (${periods.length}) exceeds the maximum of ${MAX_PERIODS}.`);
  const maxRecords = Math.min(Number(q.get('maxRecords') ?? DEFAULT_MAX_RECORDS) || DEFAULT_MAX_RECORDS, MAX_RECORDS);
  // Goods in HS only: services (S, EBOPS) and other classifications find nothing here.
  if (typeCode !== 'C' || (freqCode !== 'M' && freqCode !== 'A') || clCode !== 'HS') return data([]);
  const periodForm = freqCode === 'M' ? /^\d{4}(0[1-9]|1[0-2])$/ : /^\d{4}$/;

  const records = comtradeRecords(
    {
      freq: freqCode,
      periods: periods.filter((p) => periodForm.test(p)),
      reporters: areas(q.get('reporterCode'), SIM_REPORTERS),
      partners: areas(q.get('partnerCode'), SIM_PARTNERS),
      flows: q.has('flowCode') ? list(q.get('flowCode')).filter((f): f is FlowCode => Object.hasOwn(FLOWS, f)) : ['M', 'X'],
      commodities: commodities(q.get('cmdCode')),
      includeDesc: q.get('includeDesc')?.toLowerCase() === 'true',
    },
    now,
  );
  return data(records.slice(0, maxRecords));
}

function list(text: string | null): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The areas a code list names (unknown codes name none); absent: all of them. */
function areas(codes: string | null, known: readonly SimArea[]): SimArea[] {
  if (codes === null) return [...known];
  const wanted = list(codes);
  return known.filter((a) => wanted.includes(String(a.code)));
}

/** TOTAL, HS chapters, or AG2 (every chapter); absent: TOTAL. */
function commodities(codes: string | null): SimCommodity[] {
  const wanted = codes === null ? ['TOTAL'] : list(codes.toUpperCase());
  return [TOTAL, ...CHAPTERS].filter((c) => wanted.includes(c.code) || (c.aggrLevel === 2 && wanted.includes('AG2')));
}

function data(records: Record<string, unknown>[], error = ''): SimAnswer {
  return { status: 200, body: { elapsedTime: '0.02 secs', count: records.length, data: records, error } };
}

function denied(message: string): SimAnswer {
  return { status: 401, body: { statusCode: 401, message } };
}
