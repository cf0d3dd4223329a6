import { z } from 'zod';

/** The public data sources Conveyor ingests, each run on the scraping queue by ingest_source. */
export const INGESTION_SOURCES = ['gdelt', 'reliefweb', 'fred', 'worldbank', 'comtrade'] as const;
export type IngestionSourceName = (typeof INGESTION_SOURCES)[number];

export const ingestionSourceSchema = z.enum(INGESTION_SOURCES, {
  error: `source must be one of ${INGESTION_SOURCES.join(', ')}`,
});

export function isIngestionSource(name: string): name is IngestionSourceName {
  return (INGESTION_SOURCES as readonly string[]).includes(name);
}

/** The longest window one run may be asked for: a backfill of more is several runs. */
export const MAX_WINDOW_DAYS = 3660;

const instant = z.iso.datetime({ offset: true, error: 'a window bound is an ISO 8601 date-time with its offset, like 2026-01-01T00:00:00Z' });

/** A span of source time [from, to): what one run fetches. */
export const ingestionWindowSchema = z
  .object({ from: instant, to: instant })
  .strict()
  .refine((w) => Date.parse(w.from) < Date.parse(w.to), { message: 'window.from must be before window.to' })
  .refine((w) => Date.parse(w.to) - Date.parse(w.from) <= MAX_WINDOW_DAYS * 86_400_000, {
    message: `a window spans at most ${MAX_WINDOW_DAYS} days; split a longer backfill into several runs`,
  });
export type IngestionWindow = z.output<typeof ingestionWindowSchema>;

export const INGESTION_RUN_STATUSES = ['running', 'succeeded', 'failed', 'deferred'] as const;
export type IngestionRunStatus = (typeof INGESTION_RUN_STATUSES)[number];
export const ingestionRunStatusSchema = z.enum(INGESTION_RUN_STATUSES, {
  error: `a run status is one of ${INGESTION_RUN_STATUSES.join(', ')}`,
});

/**
 * Each source's cadence until an operator changes it (PATCH /api/v1/ingestion/sources/{source}):
 * a five-field cron in UTC, the rule of its system schedule.
 */
export const DEFAULT_INGESTION_CADENCE: Readonly<Record<IngestionSourceName, string>> = {
  gdelt: '*/15 * * * *',
  reliefweb: '0 6 * * *',
  fred: '0 7 * * *',
  worldbank: '0 8 1 * *',
  comtrade: '0 9 1 * *',
};

/** The tenant that owns the system schedules of ingestion (and so their tasks): made by migration, never used by a key. */
export const SYSTEM_TENANT_ID = '00000000-0000-4000-8000-000000000000';

/** One record a source made from a page, as ingestion stores it: a stable id, the raw JSON and a few typed columns. */
export interface IngestedRecord {
  /** Stable across runs: the same item always gets the same id (an article's URL, series + date). */
  external_id: string;
  /** The item as the source sent it. */
  raw: unknown;
  /** The item's date, YYYY-MM-DD. */
  occurred_on?: string | null;
  /** A country code (ISO 3166 alpha-3 where the source has it, else the source's own). */
  country?: string | null;
  /** A series or indicator id (FRED series, World Bank indicator, HS commodity code). */
  series_id?: string | null;
  value?: number | null;
  title?: string | null;
}

/** What a run counts, as the audit trail keeps it. */
export interface IngestionRunTotals {
  pages: number;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  retries: number;
  rateLimitWaits: number;
}
