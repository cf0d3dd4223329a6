import { z } from 'zod';
import { type IngestionSource, MalformedPageError, type PageContext, type PageRequest, type ParsedPage, type SourceRecord, type TimeWindow } from '../source';
import { parsePage } from './page-schema';
import { boundedWatermark, days, daysOf } from './window-calendar';
import { itemAfter } from './configured-list';

/** FRED's settings in the ingestion environment (IngestionEnv): where its API is and which series to read. */
export interface FredSettings {
  FRED_BASE_URL: string;
  FRED_SERIES: readonly string[];
}

/** Where a window's reading is: a series and the offset of its next page. */
export interface FredCursor {
  series: string;
  offset: number;
}

const SECRET = 'fred_api_key';
/** Observations a page asks for: a daily series' decade in a few pages, any other's in one. */
const PAGE_LIMIT = 1000;
/**
 * How far behind the watermark may stay: a year and a half of publication lag (annual series
 * are published months after their year), and no more, so that a series that is no longer
 * published does not make every run read from the day it stopped.
 */
const MAX_LAG_MS = days(550);

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const count = z.number().int().min(0);
const pageSchema = z.object({
  count,
  offset: count,
  observations: z.array(
    z.object({
      date: z.string().regex(DAY, 'not a date YYYY-MM-DD'),
      value: z.string().regex(/^(\.|-?\d+(\.\d+)?)$/, 'not a number or "."'),
    }),
  ),
});

/**
 * FRED (St. Louis Fed) series observations: each configured series read from the window's
 * first day to its last (fred/series/observations, observation_start/observation_end, ascending,
 * PAGE_LIMIT by offset), with the api_key from the run's secrets. One record per series and
 * date (external id `SERIES:YYYY-MM-DD`); "." (FRED's missing value) is value null.
 *
 * FRED's data is dated, and published weeks or months after its date, so the next run starts
 * from the last date each series had (watermark()), not from when this one ran: a quarter
 * published in a month's time is then still asked for. FRED documents 120 requests a minute;
 * the bucket allows half that.
 */
export function createFredSource(settings: FredSettings): IngestionSource<FredCursor> {
  const base = settings.FRED_BASE_URL.replace(/\/+$/, '');
  const series = [...settings.FRED_SERIES];
  if (series.length === 0) throw new Error('FRED_SERIES names no series: give at least one FRED series id, like GDP,UNRATE');

  return {
    name: 'fred',
    windowMs: days(366),
    initialLookbackMs: days(731),
    rateLimit: { capacity: 5, refillPerSecond: 1 },
    secrets: [SECRET],

    request({ window, cursor, secrets }: PageContext<FredCursor>): PageRequest {
      const { series: id, offset } = cursor ?? { series: series[0]!, offset: 0 };
      const apiKey = secrets[SECRET];
      if (!apiKey) throw new Error(`the secret ${SECRET} is not set: FRED answers no request without its api_key`);
      const { first, last } = daysOf(window);
      const query = new URLSearchParams({
        series_id: id,
        api_key: apiKey,
        file_type: 'json',
        observation_start: first,
        observation_end: last,
        sort_order: 'asc',
        offset: String(offset),
        limit: String(PAGE_LIMIT),
      });
      return { url: `${base}/fred/series/observations?${query}` };
    },

    parse(body: unknown, { cursor }: PageContext<FredCursor>): ParsedPage<FredCursor> {
      const { series: id, offset } = cursor ?? { series: series[0]!, offset: 0 };
      const where = `page of fred ${id} at offset ${offset}`;
      const page = parsePage(pageSchema, body, where);
      const records = page.observations.map((o): SourceRecord => ({
        external_id: `${id}:${o.date}`,
        // Only the observation's own fields: its realtime_start/end are the day it was asked
        // for (FRED gives every observation today's real-time period), which would make an
        // unchanged observation look changed on every run.
        raw: { series_id: id, date: o.date, value: o.value },
        occurred_on: o.date,
        series_id: id,
        value: o.value === '.' ? null : Number(o.value),
      }));
      const read = offset + page.observations.length;
      if (read < page.count) {
        if (page.observations.length === 0) throw new MalformedPageError(`${where}: no observations, though count says ${page.count}`);
        return { records, next: { series: id, offset: read } };
      }
      const following = itemAfter(series, id, { noun: 'series', variable: 'FRED_SERIES' });
      return { records, next: following === undefined ? undefined : { series: following, offset: 0 } };
    },

    /**
     * The earliest of the series' last dates in this window (a series with none holds it at
     * window.from), so each series' next observation is asked for whenever it is published.
     */
    watermark(window: TimeWindow, records: readonly SourceRecord[]): Date {
      const lastDates = series.map((id) =>
        records.reduce<string | undefined>((last, r) => (r.series_id === id && (!last || r.occurred_on! > last) ? r.occurred_on! : last), undefined),
      );
      const earliest = Math.min(...lastDates.map((d) => (d === undefined ? window.from.getTime() : Date.parse(`${d}T00:00:00Z`))));
      return boundedWatermark(earliest, window, MAX_LAG_MS);
    },
  };
}
