import { z } from 'zod';
import { type IngestionSource, MalformedPageError, type PageContext, type PageRequest, type ParsedPage, type SourceRecord, type TimeWindow } from '../source';
import { parsePage } from './page-schema';
import { boundedWatermark, days, yearsOf } from './window-calendar';
import { itemAfter } from './configured-list';

/** The World Bank's settings in the ingestion environment (IngestionEnv). */
export interface WorldBankSettings {
  WORLDBANK_BASE_URL: string;
  WORLDBANK_INDICATORS: readonly string[];
  /** ISO3 (or ISO2) codes, or `all`. */
  WORLDBANK_COUNTRIES: readonly string[];
}

/** Where a window's reading is: an indicator and its next page (from 1). */
export interface WorldBankCursor {
  indicator: string;
  page: number;
}

/** Rows a page asks for: an indicator's decade of every economy in a few pages. */
const PER_PAGE = 1000;
/** How far behind the watermark may stay: economies publish a year's values up to two years after it ends. */
const MAX_LAG_MS = days(3 * 366);

/** A page number or size: a number, or (in older answers) a string of digits. */
const whole = z.union([z.number().int().min(0), z.string().regex(/^\d+$/).transform(Number)]);
const metaSchema = z.object({ page: whole, pages: whole, per_page: whole, total: whole });
const rowSchema = z.looseObject({
  indicator: z.object({ id: z.string(), value: z.string() }),
  country: z.object({ id: z.string(), value: z.string() }),
  countryiso3code: z.string(),
  date: z.string().regex(/^\d{4}(M(0[1-9]|1[0-2])|Q[1-4])?$/, 'not a year (YYYY), month (YYYYMmm) or quarter (YYYYQn)'),
  value: z.number().nullable(),
});
const pageSchema = z.tuple([metaSchema, z.array(rowSchema).nullable()], 'not the pair [meta, rows]');
const refusalSchema = z.tuple([z.object({ message: z.array(z.object({ id: z.string(), key: z.string(), value: z.string() })) })]);

/**
 * The World Bank Indicators API v2: each configured indicator for the configured economies
 * (/v2/country/{codes joined by ;}/indicator/{id}), the window's years as date=YYYY:YYYY,
 * PER_PAGE rows a page by page. One record per indicator, economy and year with a value
 * (external id `INDICATOR:ISO3:YEAR`); the rows the API gives every economy and year it has
 * no value for yet (value null) are left out, and arrive once they have one.
 *
 * Annual values are published a year or two after their year, so the next run starts from
 * the last year each indicator had values for (watermark()). The API publishes no rate limit;
 * the bucket keeps to one request a second.
 */
export function createWorldBankSource(settings: WorldBankSettings): IngestionSource<WorldBankCursor> {
  const base = settings.WORLDBANK_BASE_URL.replace(/\/+$/, '');
  const indicators = [...settings.WORLDBANK_INDICATORS];
  const countries = settings.WORLDBANK_COUNTRIES.join(';');
  if (indicators.length === 0) throw new Error('WORLDBANK_INDICATORS names no indicator: give at least one, like NY.GDP.MKTP.CD');
  if (!countries) throw new Error('WORLDBANK_COUNTRIES names no economy: give ISO3 codes like USA,DEU, or all');

  return {
    name: 'worldbank',
    windowMs: days(5 * 366),
    initialLookbackMs: days(10 * 366),
    rateLimit: { capacity: 4, refillPerSecond: 1 },
    secrets: [],

    request({ window, cursor }: PageContext<WorldBankCursor>): PageRequest {
      const { indicator, page } = cursor ?? { indicator: indicators[0]!, page: 1 };
      const { first, last } = yearsOf(window);
      const query = new URLSearchParams({ format: 'json', date: `${first}:${last}`, page: String(page), per_page: String(PER_PAGE) });
      return { url: `${base}/v2/country/${countries}/indicator/${encodeURIComponent(indicator)}?${query}` };
    },

    parse(body: unknown, { cursor }: PageContext<WorldBankCursor>): ParsedPage<WorldBankCursor> {
      const { indicator, page } = cursor ?? { indicator: indicators[0]!, page: 1 };
      const where = `page ${page} of worldbank ${indicator}`;
      const refusal = refusalSchema.safeParse(body);
      if (refusal.success) {
        const messages = refusal.data[0].message.map((m) => `${m.id} ${m.key}: ${m.value}`).join('; ');
        throw new MalformedPageError(`${where}: the World Bank refused the request (${messages}); check WORLDBANK_COUNTRIES and WORLDBANK_INDICATORS`);
      }
      const [meta, rows] = parsePage(pageSchema, body, where);
      const records = (rows ?? []).filter((row) => row.value !== null).map((row) => recordOf(row));
      if (meta.page < meta.pages) return { records, next: { indicator, page: page + 1 } };
      const following = itemAfter(indicators, indicator, { noun: 'indicator', variable: 'WORLDBANK_INDICATORS' });
      return { records, next: following === undefined ? undefined : { indicator: following, page: 1 } };
    },

    /** Jan 1 of the earliest of the indicators' last years with values in this window (none: window.from). */
    watermark(window: TimeWindow, records: readonly SourceRecord[]): Date {
      const lastYears = indicators.map((id) =>
        Math.max(-Infinity, ...records.filter((r) => r.series_id === id).map((r) => Number(r.occurred_on!.slice(0, 4)))),
      );
      const earliest = Math.min(...lastYears.map((year) => (year === -Infinity ? window.from.getTime() : Date.UTC(year, 0, 1))));
      return boundedWatermark(earliest, window, MAX_LAG_MS);
    },
  };
}

function recordOf(row: z.output<typeof rowSchema>): SourceRecord {
  // Aggregates (World, regions, income groups) have ISO3-like codes too (WLD, EUU); an
  // economy without one keeps the API's own id.
  const country = row.countryiso3code || row.country.id;
  return {
    external_id: `${row.indicator.id}:${country}:${row.date}`,
    raw: row,
    occurred_on: dayOf(row.date),
    country,
    series_id: row.indicator.id,
    value: row.value,
    title: `${row.indicator.value}, ${row.country.value}, ${row.date}`,
  };
}

/** The first day of a year (2024), month (2024M03) or quarter (2024Q2). */
function dayOf(date: string): string {
  const year = date.slice(0, 4);
  const [kind, number] = [date[4], Number(date.slice(5))];
  const month = kind === 'M' ? number : kind === 'Q' ? (number - 1) * 3 + 1 : 1;
  return `${year}-${String(month).padStart(2, '0')}-01`;
}
