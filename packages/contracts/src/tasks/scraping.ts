import { z } from 'zod';
import { defineTask } from '../define-task';
import { ingestionSourceSchema, ingestionWindowSchema } from '../ingestion/sources';

const count = z.number().int().min(0);

// One run of one source. The run retries its own requests (429, 5xx, network: backoff with
// jitter, Retry-After honoured) within a 300 s limit, so the task itself does not retry: a
// failed run is recorded, and the next scheduled run starts again from the source's watermark.
export const ingestSource = defineTask({
  name: 'ingest_source',
  queue: 'scraping',
  description:
    "Runs one ingestion of a public data source: fetches its pages for a window (by default from the source's watermark to now, in windows of its cadence), upserts the records idempotently and records the run in the audit trail.",
  payload: z
    .object({
      source: ingestionSourceSchema,
      /** An explicit window (a backfill or a re-run); absent: from the watermark to now. It never moves the watermark. */
      window: ingestionWindowSchema.optional(),
    })
    .strict(),
  result: z.object({
    run_id: z.uuid(),
    source: ingestionSourceSchema,
    window_from: z.string().nullable(),
    window_to: z.string().nullable(),
    pages: count,
    fetched: count,
    inserted: count,
    updated: count,
    unchanged: count,
    retries: count,
    rate_limit_waits: count,
  }),
  defaults: { attempts: 1, maxLostAttempts: 3, softTimeoutMs: 300_000, hardTimeoutMs: 330_000 },
  // The deployment's own data, its shared rate limits and watermarks: an operator runs it (POST /api/v1/ingestion/{source}/run), no tenant.
  system: true,
});
