import {
  type Database,
  advanceIngestionWatermark,
  failLostIngestionRuns,
  finishIngestionRun,
  getIngestionWatermark,
  startIngestionRun,
  upsertRecords,
} from '@conveyor/db';
import type { IngestionStore } from '@conveyor/integrations';
import type { Kysely } from 'kysely';

/** Ingestion's state in Postgres: the audit trail, the records and each source's watermark. */
export function dbIngestionStore(db: Kysely<Database>): IngestionStore {
  return {
    startRun: async ({ source, taskId, window }) => {
      // A run of this task still open belonged to an attempt whose worker was lost.
      if (taskId) await failLostIngestionRuns(db, { source, taskId });
      return (await startIngestionRun(db, { source, taskId, windowFrom: window?.from ?? null, windowTo: window?.to ?? null })).id;
    },
    finishRun: async (runId, report) => {
      await finishIngestionRun(db, runId, {
        status: report.status,
        totals: report,
        error: report.error,
      });
    },
    upsert: (source, records) => upsertRecords(db, source, records),
    watermark: (source) => getIngestionWatermark(db, source),
    advanceWatermark: async (source, to) => {
      await advanceIngestionWatermark(db, source, to);
    },
  };
}
