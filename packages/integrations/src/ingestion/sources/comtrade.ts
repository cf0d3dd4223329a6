import { z } from 'zod';
import { type IngestionSource, MalformedPageError, type PageContext, type PageRequest, type ParsedPage, type SourceRecord, type TimeWindow } from '../source';
import { parsePage } from './page-schema';
import { boundedWatermark, days, monthsOf } from './window-calendar';
import { itemAfter } from './configured-list';

/** UN Comtrade's settings in the ingestion environment (IngestionEnv). */
export interface ComtradeSettings {
  COMTRADE_BASE_URL: string;
  /** Reporter codes (M49, as Comtrade numbers them). */
  COMTRADE_REPORTERS: readonly string[];
}

/** Where a window's reading is: a reporter and which group of (at most 12) of the window's months. */
export interface ComtradeCursor {
  reporter: string;
  chunk: number;
}

const SECRET = 'comtrade_subscription_key';
/** The most periods Comtrade takes in one request. */
const PERIODS_PER_REQUEST = 12;
/**
 * Comtrade does not page: an answer stops at maxRecords. A reporter's totals (2 flows, the
 * world as partner) are 24 records a request, far below; an answer that reaches it is an error.
 */
const MAX_RECORDS = 2500;
/** How far behind the watermark may stay: reporters publish a month up to about a year after it. */
const MAX_LAG_MS = days(400);

const code = z.number().int();
const recordSchema = z.object({
  freqCode: z.literal('M'),
  refYear: code,
  refMonth: code.min(1).max(12),
  period: z.string().regex(/^\d{6}$/, 'not a month YYYYMM'),
  reporterCode: code,
  reporterISO: z.string().nullable(),
  reporterDesc: z.string().nullable(),
  flowCode: z.string(),
  flowDesc: z.string().nullable(),
  partnerCode: code,
  partnerDesc: z.string().nullable(),
  partner2Code: code,
  cmdCode: z.string(),
  cmdDesc: z.string().nullable(),
  customsCode: z.string(),
  motCode: code,
  primaryValue: z.number().nullable(),
});
const pageSchema = z.object({ count: z.number().int().min(0), data: z.array(z.looseObject(recordSchema.shape)), error: z.string().nullish() });

/**
 * UN Comtrade's final monthly goods data (/data/v1/get/C/M/HS): for each configured reporter,
 * its totals (cmdCode=TOTAL) of imports and exports (flowCode=M,X) with the world
 * (partnerCode=0), for the window's months (period=YYYYMM,…, at most 12 a request, so a longer
 * window takes several). The subscription key goes in the Ocp-Apim-Subscription-Key header,
 * never the URL. One record per reporter, month, flow, partner and commodity.
 *
 * Reporters publish a month weeks or months after it ends, so the next run starts from the
 * earliest of the reporters' last months (watermark()). The free subscription allows 500
 * calls a day and a call a second; the bucket keeps to one every two seconds.
 */
export function createComtradeSource(settings: ComtradeSettings): IngestionSource<ComtradeCursor> {
  const base = settings.COMTRADE_BASE_URL.replace(/\/+$/, '');
  const reporters = [...settings.COMTRADE_REPORTERS];
  if (reporters.length === 0) throw new Error('COMTRADE_REPORTERS names no reporter: give M49 codes, like 842,156');
  const chunksOf = (window: TimeWindow) => {
    const months = monthsOf(window);
    return Array.from({ length: Math.ceil(months.length / PERIODS_PER_REQUEST) }, (_, i) =>
      months.slice(i * PERIODS_PER_REQUEST, (i + 1) * PERIODS_PER_REQUEST),
    );
  };

  return {
    name: 'comtrade',
    windowMs: days(366),
    initialLookbackMs: days(731),
    rateLimit: { capacity: 2, refillPerSecond: 0.5 },
    secrets: [SECRET],

    request({ window, cursor, secrets }: PageContext<ComtradeCursor>): PageRequest {
      const { reporter, chunk } = cursor ?? { reporter: reporters[0]!, chunk: 0 };
      const key = secrets[SECRET];
      if (!key) throw new Error(`the secret ${SECRET} is not set: Comtrade answers no request without its subscription key`);
      const query = new URLSearchParams({
        reporterCode: reporter,
        period: chunksOf(window)[chunk]!.join(','),
        partnerCode: '0',
        partner2Code: '0',
        flowCode: 'M,X',
        cmdCode: 'TOTAL',
        customsCode: 'C00',
        motCode: '0',
        breakdownMode: 'classic',
        includeDesc: 'true',
        maxRecords: String(MAX_RECORDS),
        format: 'JSON',
      });
      return { url: `${base}/data/v1/get/C/M/HS?${query}`, headers: { 'Ocp-Apim-Subscription-Key': key } };
    },

    parse(body: unknown, { window, cursor }: PageContext<ComtradeCursor>): ParsedPage<ComtradeCursor> {
      const { reporter, chunk } = cursor ?? { reporter: reporters[0]!, chunk: 0 };
      const chunks = chunksOf(window);
      const where = `page of comtrade reporter ${reporter}, periods ${chunks[chunk]![0]}-${chunks[chunk]!.at(-1)}`;
      const page = parsePage(pageSchema, body, where);
      if (page.error) throw new MalformedPageError(`${where}: Comtrade refused the request: ${page.error}`);
      if (page.data.length >= MAX_RECORDS)
        throw new MalformedPageError(`${where}: the answer has ${page.data.length} records, Comtrade's cut-off (maxRecords), so some may be missing`);
      const records = page.data.map(recordOf);
      if (chunk + 1 < chunks.length) return { records, next: { reporter, chunk: chunk + 1 } };
      const following = itemAfter(reporters, reporter, { noun: 'reporter', variable: 'COMTRADE_REPORTERS' });
      return { records, next: following === undefined ? undefined : { reporter: following, chunk: 0 } };
    },

    /** The first day of the earliest of the reporters' last months in this window (none: window.from). */
    watermark(window: TimeWindow, records: readonly SourceRecord[]): Date {
      const lastMonths = reporters.map((reporter) =>
        records.reduce<string | undefined>((last, r) => {
          const month = (r.raw as { reporterCode?: number }).reporterCode === Number(reporter) ? r.occurred_on! : undefined;
          return month && (!last || month > last) ? month : last;
        }, undefined),
      );
      const earliest = Math.min(...lastMonths.map((d) => (d === undefined ? window.from.getTime() : Date.parse(`${d}T00:00:00Z`))));
      return boundedWatermark(earliest, window, MAX_LAG_MS);
    },
  };
}

function recordOf(row: z.output<typeof recordSchema>): SourceRecord {
  const month = `${row.refYear}-${String(row.refMonth).padStart(2, '0')}`;
  const flow = row.flowDesc ?? row.flowCode;
  return {
    external_id: ['C', 'M', row.reporterCode, row.period, row.flowCode, row.partnerCode, row.partner2Code, row.cmdCode, row.customsCode, row.motCode].join(':'),
    raw: row,
    occurred_on: `${month}-01`,
    country: row.reporterISO,
    series_id: row.cmdCode,
    value: row.primaryValue,
    title: `${row.reporterDesc ?? row.reporterCode} ${flow.toLowerCase()}s, ${row.partnerDesc ?? row.partnerCode}, ${row.cmdDesc ?? row.cmdCode}, ${month}`,
  };
}
