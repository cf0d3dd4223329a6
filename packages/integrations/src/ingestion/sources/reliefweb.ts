import { z } from 'zod';
import type { IngestionSource, PageContext, SourceRecord } from '../source';
import { parsePage } from './page-schema';
import { queryString } from './query-string';
import { inWindow, inclusiveSeconds } from './source-time';

/** ReliefWeb's settings, as IngestionEnv has them. */
export interface ReliefwebSettings {
  RELIEFWEB_BASE_URL: string;
  /** The appname ReliefWeb approved for this deployment (required on every call since 1 November 2025). */
  RELIEFWEB_APPNAME: string;
}

/** Where the window's next page starts in its list. */
export interface ReliefwebCursor {
  offset: number;
}

/** The most reports one answer may hold. */
const PAGE_LIMIT = 1000;
/**
 * A report may be indexed (or published after review) some time after its date.created: the
 * watermark stays a day behind, so each daily run reads the day before again (upserts make
 * that free of duplicates).
 */
const SETTLE_MS = 86_400_000;
/** The fields asked for: the typed columns' and what a reader of the raw record wants. */
const FIELDS = [
  'title',
  'url',
  'url_alias',
  'date.created',
  'date.original',
  'date.changed',
  'primary_country.iso3',
  'primary_country.name',
  'country.iso3',
  'country.name',
  'source.shortname',
  'source.name',
  'format.name',
  'theme.name',
  'language.code',
  'disaster_type.name',
];

const isoDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T/, 'a date is ISO 8601, like 2024-01-01T00:00:00+00:00');
const reportSchema = z.object({
  id: z.union([z.string().regex(/^\d+$/, 'an id is a number'), z.number().int()]),
  fields: z.object({
    title: z.string(),
    date: z.object({ created: isoDateTime, original: isoDateTime.optional() }),
    primary_country: z.object({ iso3: z.string().optional() }).optional(),
  }),
});
const pageSchema = z.object({
  totalCount: z.number().int().nonnegative(),
  data: z.array(reportSchema),
});
type Report = z.infer<typeof reportSchema>;

/**
 * ReliefWeb API v2 reports, created in daily windows: GET /v2/reports with the approved appname,
 * filtered on date.created within the window, oldest first (id breaks ties, so offsets are
 * stable), paged by offset and limit (1000, the most allowed). A report's id is its id; it
 * occurred on its original publication date; its country is its primary country's ISO3 code.
 * v2, not v1: ReliefWeb's documentation moved to v2 with the approved appnames.
 */
export function createReliefwebSource(settings: ReliefwebSettings): IngestionSource<ReliefwebCursor> {
  const endpoint = `${settings.RELIEFWEB_BASE_URL.replace(/\/+$/, '')}/v2/reports`;
  return {
    name: 'reliefweb',
    windowMs: 86_400_000,
    initialLookbackMs: 7 * 86_400_000,
    // ReliefWeb allows 1000 calls a day: a bucket of 100 refilled at 900 a day never lets more
    // than 1000 through in any 24 hours, and lets a catch-up or a short backfill go at once.
    rateLimit: { capacity: 100, refillPerSecond: 900 / 86_400 },
    secrets: [],
    request(ctx) {
      const { first, last } = inclusiveSeconds(ctx.window);
      const query = queryString([
        ['appname', settings.RELIEFWEB_APPNAME],
        ['limit', String(PAGE_LIMIT)],
        ['offset', String(ctx.cursor?.offset ?? 0)],
        ['filter[field]', 'date.created'],
        ['filter[value][from]', reliefwebDate(first)],
        ['filter[value][to]', reliefwebDate(last)],
        ['sort[]', 'date.created:asc'],
        ['sort[]', 'id:asc'],
        ...FIELDS.map((field) => ['fields[include][]', field] as const),
      ]);
      return { url: `${endpoint}?${query}` };
    },
    parse(body, ctx) {
      const offset = ctx.cursor?.offset ?? 0;
      const { totalCount, data } = parsePage(pageSchema, body, pageName(ctx, offset));
      const raw = (body as { data: unknown[] }).data;
      const records: SourceRecord[] = [];
      data.forEach((report, i) => {
        if (inWindow(new Date(report.fields.date.created), ctx.window)) records.push(toRecord(report, raw[i]));
      });
      const nextOffset = offset + data.length;
      return data.length > 0 && nextOffset < totalCount ? { records, next: { offset: nextOffset } } : { records };
    },
    watermark: (window) => new Date(window.to.getTime() - SETTLE_MS),
  };
}

function toRecord(report: Report, raw: unknown): SourceRecord {
  const { title, date, primary_country } = report.fields;
  return {
    external_id: String(report.id),
    raw,
    // The date as ReliefWeb wrote it (its offset is +00:00): no time zone arithmetic.
    occurred_on: (date.original ?? date.created).slice(0, 10),
    country: primary_country?.iso3 ? primary_country.iso3.toUpperCase() : null,
    title,
  };
}

function pageName(ctx: PageContext<ReliefwebCursor>, offset: number): string {
  const { first, last } = inclusiveSeconds(ctx.window);
  return `page of reliefweb reports created ${reliefwebDate(first)}..${reliefwebDate(last)} at offset ${offset}`;
}

/** ISO 8601 to the second with +00:00, as ReliefWeb writes and reads dates. */
const reliefwebDate = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
