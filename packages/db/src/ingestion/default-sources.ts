import { DEFAULT_INGESTION_CADENCE, INGESTION_SOURCES } from '@conveyor/contracts';
import { nextOccurrence } from '@conveyor/scheduling';
import type { Kysely } from 'kysely';
import type { Database } from '../schema';
import { databaseNow } from '../schedules/definitions';
import { ensureIngestionSources } from './sources';

/**
 * Sets up every source not yet set up with its default cadence, first due at the cadence's next
 * time in UTC after Postgres' now; `enabled` is INGESTION_AUTOSTART. The API and the scheduler
 * both call it at start-up, so the sources exist before anyone changes them.
 */
export async function ensureDefaultIngestionSources(db: Kysely<Database>, enabled: boolean): Promise<void> {
  const now = await databaseNow(db);
  const entries = INGESTION_SOURCES.map((source) => {
    const cron = DEFAULT_INGESTION_CADENCE[source];
    const nextRunAt = nextOccurrence({ kind: 'cron', cron, timezone: 'UTC' }, now);
    // Every default cadence fires within a month, far inside the scheduling horizon.
    if (!nextRunAt) throw new Error(`the default cadence of ${source} ("${cron}") never fires`);
    return { source, cron, nextRunAt };
  });
  await ensureIngestionSources(db, entries, enabled);
}
