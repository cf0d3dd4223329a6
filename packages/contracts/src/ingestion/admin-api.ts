import { z } from 'zod';
import { INGESTION_RUN_STATUSES, ingestionRunStatusSchema, ingestionSourceSchema, ingestionWindowSchema } from './sources';

// The admin API of ingestion (/api/v1/ingestion/...): what it accepts and what it answers.

/**
 * A cadence as an operator sends it: a five-field cron (minute hour day-of-month month
 * day-of-week) read in UTC. The API parses it further and keeps its fires a minute apart.
 */
export const cadenceSchema = z
  .string()
  .max(200)
  .refine((cron) => cron.trim().split(/\s+/).length === 5, {
    error:
      'a cadence is a five-field cron in UTC (minute hour day-of-month month day-of-week; no seconds: a source runs at most once a minute), like "0 6 * * *"',
  });

/** Body of PATCH /api/v1/ingestion/sources/{source}: switch it on or off, change its cadence, or both. */
export const patchIngestionSourceBodySchema = z
  .object({
    enabled: z.boolean({ error: 'enabled is true or false' }).optional(),
    cadence: cadenceSchema.optional(),
  })
  .strict()
  .refine((b) => b.enabled !== undefined || b.cadence !== undefined, { error: 'send enabled, cadence or both' });
export type PatchIngestionSourceBody = z.infer<typeof patchIngestionSourceBodySchema>;

/** Body of POST /api/v1/ingestion/{source}/run (optional): a window to fetch; without one, from the watermark to now. */
export const runIngestionBodySchema = z.object({ window: ingestionWindowSchema.optional() }).strict();

/** Run outcomes in a query: `status=failed,deferred`, `status=failed&status=deferred`, or one; any case. */
export const ingestionRunStatusListSchema = z
  .preprocess(
    (value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((v: unknown) => (typeof v === 'string' ? v.split(',') : [v]))
        .map((v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v)),
    z.array(ingestionRunStatusSchema).min(1).max(20),
  )
  .meta({ description: `One or more of ${INGESTION_RUN_STATUSES.join(', ')} (any case), comma-separated or repeated` });

/** Query of GET /api/v1/ingestion/runs: newest first. */
export const listIngestionRunsQuerySchema = z
  .object({
    source: ingestionSourceSchema.optional(),
    status: ingestionRunStatusListSchema.optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

// A date Postgres stores (year 1 to 9999), as the records' occurred_on is.
const recordDate = (name: string) =>
  z.iso.date({ error: `${name} is a date like 2026-01-31` }).refine((d) => d >= '0001-01-01', { error: `${name} is a date from year 1 on` });

/** Query of GET /api/v1/ingestion/{source}/records: newest date first, records without a date last. */
export const listIngestionRecordsQuerySchema = z
  .object({
    /** Records dated on or after this day; leaves out those without a date. */
    from: recordDate('from').optional(),
    /** Records dated on or before this day; leaves out those without a date. */
    to: recordDate('to').optional(),
    country: z.string().min(1).max(100).optional(),
    series_id: z.string().min(1).max(200).optional(),
    // A cursor carries the last record's external id, up to 500 characters.
    cursor: z.string().max(3000).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { error: 'from must not be after to', path: ['from'] });

const instant = z.iso.datetime();

/** One source as GET /api/v1/ingestion/sources shows it. */
export const ingestionSourceViewSchema = z.object({
  source: ingestionSourceSchema,
  /** Whether its schedule runs it; a disabled source can still be run by hand. */
  enabled: z.boolean(),
  /** Its schedule's five-field cron, in UTC. */
  cadence: z.string().nullable(),
  next_run_at: instant.nullable(),
  /** Where the next incremental run starts; null before the first successful run. */
  watermark: instant.nullable(),
  last_success_at: instant.nullable(),
  /** The latest failed run, only when it came after the last success. */
  last_error: z.object({ message: z.string(), at: instant }).nullable(),
  record_count: z.number().int().min(0),
});
export type IngestionSourceView = z.infer<typeof ingestionSourceViewSchema>;

/** One run of the audit trail. */
export const ingestionRunViewSchema = z.object({
  run_id: z.uuid(),
  source: z.string(),
  task_id: z.uuid().nullable(),
  status: ingestionRunStatusSchema,
  window_from: instant.nullable(),
  window_to: instant.nullable(),
  /** Where in the source the run had got to, as the source names it. */
  cursor: z.string().nullable(),
  started_at: instant,
  finished_at: instant.nullable(),
  pages: z.number().int(),
  fetched: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  retries: z.number().int(),
  rate_limit_waits: z.number().int(),
  error: z.object({ type: z.string(), message: z.string() }).nullable(),
});
export type IngestionRunView = z.infer<typeof ingestionRunViewSchema>;

/** One ingested record. */
export const ingestionRecordViewSchema = z.object({
  external_id: z.string(),
  occurred_on: z.iso.date().nullable(),
  country: z.string().nullable(),
  series_id: z.string().nullable(),
  value: z.number().nullable(),
  title: z.string().nullable(),
  /** The record as the source sent it. */
  raw: z.unknown(),
  first_seen_at: instant,
  updated_at: instant,
});
