import { SYSTEM_TENANT_ID } from '@conveyor/contracts';
import { type Kysely, sql } from 'kysely';
import type { Database, ScheduleRow } from '../schema';

// The state of each ingestion source: the system schedule that runs it (whether it is on, its
// cadence, its next run) and its watermark. The schedule is an ordinary row of `schedules`,
// owned by the system tenant, so the scheduler fires it like any other.

type Db = Kysely<Database>;

/** A source as it is first set up: its cadence (a cron in UTC) and its first run. */
export interface IngestionSourceEntry {
  source: string;
  cron: string;
  nextRunAt: Date;
}

// Taken by every process that sets the sources up (the API's and the scheduler's replicas), so
// that two of them never both find a source missing and make two schedules for it.
const SETUP_LOCK = 0x1e57_0017;

/**
 * Sets up each source that has no state yet: its system schedule (`ingestion:<source>`, the
 * task ingest_source for that source, enabled as given) and the row pointing at it. A source
 * already set up is left as it is (PATCH /ingestion/sources/{source} owns it), except that one
 * whose schedule was deleted gets one again. Safe to call from any number of processes at once.
 */
export async function ensureIngestionSources(db: Db, entries: readonly IngestionSourceEntry[], enabled: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${SETUP_LOCK})`.execute(trx);
    const ready = new Set((await trx.selectFrom('ingestion_sources').select('source').where('schedule_id', 'is not', null).execute()).map((r) => r.source));
    for (const entry of entries.filter((e) => !ready.has(e.source))) {
      const schedule = await trx
        .insertInto('schedules')
        .values({
          tenant_id: SYSTEM_TENANT_ID,
          name: `ingestion:${entry.source}`,
          kind: 'cron',
          cron: entry.cron,
          timezone: 'UTC',
          task: 'ingest_source',
          payload: JSON.stringify({ source: entry.source }),
          enabled,
          misfire_policy: 'fire_once',
          next_run_at: entry.nextRunAt,
        })
        // A schedule of that name left behind (its source row deleted by hand) is taken up again as it is.
        .onConflict((c) => c.constraint('schedules_tenant_name').doUpdateSet({ updated_at: sql`now()` }))
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('ingestion_sources')
        .values({ source: entry.source, schedule_id: schedule.id })
        .onConflict((c) => c.column('source').doUpdateSet({ schedule_id: schedule.id, updated_at: sql`now()` }))
        .execute();
    }
  });
}

/** Where the source's next incremental run starts; null before its first successful run (or for an unknown source). */
export async function getIngestionWatermark(db: Db, source: string): Promise<Date | null> {
  const row = await db.selectFrom('ingestion_sources').select('watermark').where('source', '=', source).executeTakeFirst();
  return row?.watermark ?? null;
}

/**
 * Moves the source's watermark to `to`, never back: a late or repeated run that reached less
 * far leaves it where it is. Returns the watermark now, or undefined for a source not set up.
 */
export async function advanceIngestionWatermark(db: Db, source: string, to: Date): Promise<Date | undefined> {
  const row = await db
    .updateTable('ingestion_sources')
    .set({ watermark: sql`greatest(watermark, ${to}::timestamptz)`, updated_at: sql`now()` })
    .where('source', '=', source)
    .returning('watermark')
    .executeTakeFirst();
  return row ? row.watermark! : undefined;
}

export interface IngestionSourceState {
  source: string;
  /** False also when the source has no schedule (deleted by hand; start-up makes a new one). */
  enabled: boolean;
  /** The schedule's cron, in UTC. */
  cadence: string | null;
  next_run_at: Date | null;
  watermark: Date | null;
  /** When the latest successful run finished. */
  last_success_at: Date | null;
  /** The latest failed run, only if it came after the last success. */
  last_error: { message: string; at: Date } | null;
  record_count: number;
}

/**
 * Every source that is set up (or only `source`), by name, with what an operator looks at. Each figure is one
 * index lookup per source, except record_count: an index-only count of the source's records
 * (a scan of its index entries, which the visibility map lets skip the table).
 */
export async function listIngestionSourceStates(db: Db, source?: string): Promise<IngestionSourceState[]> {
  const { rows } = await sql<{
    source: string;
    enabled: boolean | null;
    cadence: string | null;
    next_run_at: Date | null;
    watermark: Date | null;
    last_success_at: Date | null;
    error_message: string | null;
    error_at: Date | null;
    record_count: string;
  }>`
    select s.source, sc.enabled, sc.cron as cadence, sc.next_run_at, s.watermark, ok.last_success_at,
           f.message as error_message, f.finished_at as error_at,
           (select count(*) from ingestion_records x where x.source = s.source) as record_count
      from ingestion_sources s
      left join schedules sc on sc.id = s.schedule_id
      cross join lateral (
        select max(r.finished_at) as last_success_at from ingestion_runs r where r.source = s.source and r.status = 'succeeded') ok
      -- Compared here, in microseconds: a failure a moment after a success still counts.
      left join lateral (
        select coalesce(r.error->>'message', 'the run failed without a message') as message, r.finished_at
          from ingestion_runs r
         where r.source = s.source and r.status = 'failed' and r.finished_at > coalesce(ok.last_success_at, '-infinity')
         order by r.finished_at desc
         limit 1) f on true
     where ${source === undefined ? sql`true` : sql`s.source = ${source}`}
     order by s.source`.execute(db);
  return rows.map((r) => ({
    source: r.source,
    enabled: r.enabled ?? false,
    cadence: r.cadence,
    next_run_at: r.next_run_at,
    watermark: r.watermark,
    last_success_at: r.last_success_at,
    last_error: r.error_at ? { message: r.error_message!, at: r.error_at } : null,
    record_count: Number(r.record_count),
  }));
}

/** The system schedule of a source; undefined when the source is not set up or its schedule was deleted. */
export function findIngestionSourceSchedule(db: Db, source: string): Promise<ScheduleRow | undefined> {
  return db
    .selectFrom('ingestion_sources as s')
    .innerJoin('schedules as sc', 'sc.id', 's.schedule_id')
    .selectAll('sc')
    .where('s.source', '=', source)
    .executeTakeFirst();
}

/** What an operator changes of a source's schedule; nextRunAt goes with a new cron or with enabling. */
export interface IngestionScheduleChange {
  enabled?: boolean;
  cron?: string;
  nextRunAt?: Date;
}

/** Changes the source's system schedule; false when the source is not set up or has no schedule. */
export async function updateIngestionSourceSchedule(db: Db, source: string, change: IngestionScheduleChange): Promise<boolean> {
  const result = await db
    .updateTable('schedules')
    .set({
      ...(change.enabled === undefined ? {} : { enabled: change.enabled }),
      ...(change.cron === undefined ? {} : { cron: change.cron }),
      ...(change.nextRunAt === undefined ? {} : { next_run_at: change.nextRunAt }),
      updated_at: sql`now()`,
    })
    .where('id', '=', (q) => q.selectFrom('ingestion_sources').select('schedule_id').where('source', '=', source))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
