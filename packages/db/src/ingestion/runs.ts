import type { IngestionRunTotals } from '@conveyor/contracts';
import { type Kysely, sql } from 'kysely';
import { afterCursor, cursorText, pageOf } from '../cursor';
import type { Database, IngestionRunRow, IngestionRunStatus } from '../schema';

// The audit trail of ingestion: a row per run, opened when it starts and closed once with its
// outcome and counts. Every time is Postgres's now().

type Db = Kysely<Database>;

export interface RunStart {
  source: string;
  taskId?: string | null;
  windowFrom?: Date | string | null;
  windowTo?: Date | string | null;
  cursor?: string | null;
}

export type RunTotals = IngestionRunTotals;

export function startIngestionRun(db: Db, run: RunStart): Promise<IngestionRunRow> {
  return db
    .insertInto('ingestion_runs')
    .values({
      source: run.source,
      task_id: run.taskId ?? null,
      window_from: run.windowFrom ?? null,
      window_to: run.windowTo ?? null,
      cursor: run.cursor ?? null,
      started_at: sql`now()`,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Closes as failed the runs still `running` that no worker will finish: those of a task whose
 * attempt is being run again (`taskId`: the worker running it was lost), or any started before
 * `startedBeforeMinutes` ago (longer than a run's time limit allows). Returns how many.
 */
export async function failLostIngestionRuns(db: Db, which: { source: string; taskId: string } | { startedBeforeMinutes: number }): Promise<number> {
  let q = db
    .updateTable('ingestion_runs')
    .set({
      status: 'failed',
      finished_at: sql`now()`,
      error: JSON.stringify({ type: 'lost', message: 'the worker running it stopped before the run ended; the next run starts from the watermark' }),
    })
    .where('status', '=', 'running');
  // A task's runs are looked up by source too, so the (source, status, finished_at) index finds the few open ones.
  q =
    'taskId' in which
      ? q.where('source', '=', which.source).where('task_id', '=', which.taskId)
      : q.where('started_at', '<', sql<Date>`now() - ${which.startedBeforeMinutes} * interval '1 minute'`);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}

/** Closes a running run once, with its outcome; undefined when it was closed already (or is unknown). */
export function finishIngestionRun(
  db: Db,
  id: string,
  outcome: { status: Exclude<IngestionRunStatus, 'running'>; totals: RunTotals; error?: { type: string; message: string } | null },
): Promise<IngestionRunRow | undefined> {
  const t = outcome.totals;
  return db
    .updateTable('ingestion_runs')
    .set({
      status: outcome.status,
      finished_at: sql`now()`,
      pages: t.pages,
      fetched: t.fetched,
      inserted: t.inserted,
      updated: t.updated,
      unchanged: t.unchanged,
      retries: t.retries,
      rate_limit_waits: t.rateLimitWaits,
      error: outcome.error ? JSON.stringify(outcome.error) : null,
    })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .returningAll()
    .executeTakeFirst();
}

export interface ListRunsQuery {
  source?: string;
  status?: IngestionRunStatus[];
  after?: { createdAt: string; id: string };
  limit: number;
}

/** Runs newest first, by source and status, a page at a time (the tasks' keyset cursor on started_at). */
export async function listIngestionRuns(db: Db, query: ListRunsQuery): Promise<{ rows: IngestionRunRow[]; next?: string }> {
  let q = db.selectFrom('ingestion_runs').selectAll().select(cursorText('started_at').as('cursor_at'));
  if (query.source) q = q.where('source', '=', query.source);
  if (query.status?.length) q = q.where('status', 'in', query.status);
  if (query.after) q = q.where(afterCursor(query.after, 'started_at'));
  const rows = await q
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return pageOf(rows, query.limit, (row) => row.id);
}

/** Deletes up to `limit` finished runs older than `days` (the audit trail's retention); returns how many. */
export async function deleteIngestionRunsOlderThan(db: Db, days: number, limit = 5000): Promise<number> {
  const result = await db
    .deleteFrom('ingestion_runs')
    .where(
      'id',
      'in',
      db
        .selectFrom('ingestion_runs')
        .select('id')
        .where('status', '<>', 'running')
        .where('started_at', '<', sql<Date>`now() - ${days} * interval '1 day'`)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
