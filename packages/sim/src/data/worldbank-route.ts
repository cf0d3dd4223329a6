import type { DataSourceRoute, SimAnswer, SimRequest } from './data-route';
import { xmlAnswer, xmlAttributes, xmlText } from './sim-xml';
import { economiesOf } from './worldbank-economies';
import { FIRST_YEAR, indicatorRows, isSimIndicator, lastYearAt, type SimIndicatorRow } from './worldbank-indicators';

const PATH = /^\/v2\/country\/([^/]+)\/indicator\/([^/]+)\/?$/i;

type Message = { id: string; key: string; value: string };
const INVALID_VALUE: Message = { id: '120', key: 'Invalid value', value: 'The provided parameter value is not valid' };
const NO_INDICATOR: Message = { id: '175', key: 'Invalid format', value: 'The indicator was not found. It may have been deleted or archived.' };

/**
 * The World Bank Indicators API v2: /v2/country/{codes}/indicator/{id} with `date` (YYYY or
 * YYYY:YYYY), `page` and `per_page` (50 by default). JSON (format=json) is the pair [meta
 * {page, pages, per_page, total, sourceid, sourcename, lastupdated}, rows]; with no rows the
 * second element is null. A bad country code, date or paging parameter, or an unknown
 * indicator, is answered as the API does: HTTP 200 with [{message: [{id, key, value}]}].
 */
export const worldBankRoute: DataSourceRoute = {
  source: 'worldbank',
  serves: (pathname) => PATH.test(pathname),
  answer,
  // The meta element without its rows: a page that ends where the data should begin.
  malformed: () => ({ status: 200, body: [{ page: 1, pages: 1, per_page: 50, total: 1, sourceid: '2', lastupdated: '2026-01-01' }] }),
};

function answer({ url, now }: SimRequest): SimAnswer {
  const [, countryPart, indicatorId] = PATH.exec(url.pathname)!;
  const q = url.searchParams;
  const json = q.get('format')?.toLowerCase() === 'json';
  const economies = economiesOf(decoded(countryPart!));
  if (!economies) return refusal(INVALID_VALUE, json);
  const indicator = decoded(indicatorId!);
  if (!isSimIndicator(indicator)) return refusal(NO_INDICATOR, json);
  const years = yearsOf(q.get('date'), now);
  const page = positiveInteger(q.get('page'), 1);
  const perPage = positiveInteger(q.get('per_page'), 50);
  if (!years || page === undefined || perPage === undefined) return refusal(INVALID_VALUE, json);

  const rows = indicatorRows(indicator, economies, years[0], years[1], now);
  const pages = Math.ceil(rows.length / perPage);
  const lastupdated = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
  const meta =
    rows.length === 0
      ? { page: 0, pages: 0, per_page: perPage, total: 0, sourceid: null, sourcename: null, lastupdated }
      : { page, pages, per_page: perPage, total: rows.length, sourceid: '2', sourcename: 'World Development Indicators', lastupdated };
  const slice = rows.slice((page - 1) * perPage, page * perPage);
  if (json) return { status: 200, body: [meta, slice.length ? slice : null] };
  return xmlAnswer(200, `<wb:data${xmlAttributes(meta)} xmlns:wb="http://www.worldbank.org">\n${slice.map(xmlRow).join('\n')}\n</wb:data>`);
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // not percent-encoding: a code no economy or indicator has
  }
}

/** The years of a `date` parameter: absent (every year), YYYY or YYYY:YYYY. */
function yearsOf(date: string | null, now: Date): [number, number] | undefined {
  if (date === null) return [FIRST_YEAR, lastYearAt(now)];
  const match = /^(\d{4})(?::(\d{4}))?$/.exec(date);
  if (!match) return undefined;
  const from = Number(match[1]);
  const to = Number(match[2] ?? match[1]);
  return from <= to ? [from, to] : undefined;
}

function positiveInteger(text: string | null, fallback: number): number | undefined {
  if (text === null) return fallback;
  return /^[1-9]\d{0,8}$/.test(text) ? Number(text) : undefined;
}

function refusal(message: Message, json: boolean): SimAnswer {
  if (json) return { status: 200, body: [{ message: [message] }] };
  const element = `<wb:message${xmlAttributes({ id: message.id, key: message.key })}>${xmlText(message.value)}</wb:message>`;
  return xmlAnswer(200, `<wb:error xmlns:wb="http://www.worldbank.org">\n  ${element}\n</wb:error>`);
}

function xmlRow(row: SimIndicatorRow): string {
  return [
    '  <wb:data>',
    `    <wb:indicator id="${row.indicator.id}">${xmlText(row.indicator.value)}</wb:indicator>`,
    `    <wb:country id="${row.country.id}">${xmlText(row.country.value)}</wb:country>`,
    `    <wb:countryiso3code>${row.countryiso3code}</wb:countryiso3code>`,
    `    <wb:date>${row.date}</wb:date>`,
    `    <wb:value>${xmlText(row.value)}</wb:value>`,
    `    <wb:decimal>${row.decimal}</wb:decimal>`,
    '  </wb:data>',
  ].join('\n');
}
