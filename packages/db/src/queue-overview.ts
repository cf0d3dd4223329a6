import { type Kysely, sql } from 'kysely';
import type { Database } from './schema';

type Db = Kysely<Database>;

/** One queue's figures from the task rows: what the overview (GET /api/v1/queues) shows. */
export interface QueueFigures {
  /** Tasks by status, as the table holds them now (finished ones until their retention). */
  counts: Record<string, number>;
  /** Milliseconds the longest-waiting runnable task has waited (PENDING past its run_at, RETRY past its next attempt), or null. */
  oldestWaitingAgeMs: number | null;
  /** Tasks that finished in each bucket of the window, oldest bucket first, empty buckets included. */
  series: { at: string; succeeded: number; failed: number }[];
}

export interface QueueOverviewQuery {
  /** The queues listed even without a task (the catalog's); a queue found in the rows is listed too. */
  queues: readonly string[];
  /** One tenant's tasks, or every tenant's when undefined. */
  tenantId?: string;
  windowMs: number;
  bucketMs: number;
}

/**
 * The task rows of one tenant, or of each tenant in turn: every query below runs per tenant
 * (a lateral join over tenants for all of them), so each is a range of the index
 * tasks_tenant_finished (tenant_id, finished_at, queue, final_status), or of the tenant's open
 * tasks in tasks_open, rather than a scan of the table.
 */
const scope = (tenantId: string | undefined) =>
  tenantId === undefined
    ? sql`tenants tn cross join lateral (select * from tasks where tasks.tenant_id = tn.id`
    : sql`(select * from tasks where tenant_id = ${tenantId}`;

/**
 * Every figure of the overview, by queue, in three index-backed statements. Times come from
 * Postgres' clock (invariant 6): the buckets are date_bin of now(), aligned to the bucket size.
 */
export async function queueOverview(db: Db, query: QueueOverviewQuery): Promise<Map<string, QueueFigures>> {
  const { tenantId, windowMs, bucketMs, queues } = query;
  const bucket = sql`${bucketMs} * interval '1 millisecond'`;
  const first = sql`date_bin(${bucket}, now() - ${windowMs} * interval '1 millisecond', timestamptz '2000-01-01')`;
  const [counts, waiting, finished, clock] = await Promise.all([
    // Ended tasks from the index alone, open ones (few) with their status from the row.
    sql<{ queue: string; status: string; n: string }>`
      select t.queue, t.final_status as status, count(*) as n
        from ${scope(tenantId)} and final_status is not null) t
       group by t.queue, t.final_status
      union all
      select t.queue, t.status, count(*) as n
        from ${scope(tenantId)} and final_status is null) t
       group by t.queue, t.status`.execute(db),
    sql<{ queue: string; age_ms: number | null }>`
      select t.queue, floor(extract(epoch from now() - min(t.since)) * 1000)::float8 as age_ms
        from ${scope(tenantId)} and final_status is null and status in ('PENDING', 'RETRY')) w
        cross join lateral (select case when w.status = 'RETRY' then coalesce(w.next_attempt_at, w.updated_at)
                                        else greatest(w.created_at, coalesce(w.run_at, w.created_at)) end as since, w.queue) t
       where t.since <= now()
       group by t.queue`.execute(db),
    sql<{ queue: string; at: string; succeeded: string; failed: string }>`
      select t.queue, to_char(date_bin(${bucket}, t.finished_at, timestamptz '2000-01-01') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
             count(*) filter (where t.final_status = 'SUCCESS') as succeeded, count(*) filter (where t.final_status = 'FAILURE') as failed
        from ${scope(tenantId)} and finished_at >= ${first} and final_status in ('SUCCESS', 'FAILURE')) t
       group by 1, 2`.execute(db),
    sql<{ first: Date; now: Date }>`select ${first} as first, now() as now`.execute(db),
  ]);
  const figures = new Map<string, QueueFigures>();
  const of = (queue: string) => {
    let f = figures.get(queue);
    if (!f) figures.set(queue, (f = { counts: {}, oldestWaitingAgeMs: null, series: [] }));
    return f;
  };
  for (const queue of queues) of(queue);
  for (const r of counts.rows) of(r.queue).counts[r.status] = Number(r.n);
  for (const r of waiting.rows) of(r.queue).oldestWaitingAgeMs = r.age_ms === null ? null : Math.max(0, Number(r.age_ms));
  const bucketStarts = bucketsBetween(clock.rows[0]!.first, clock.rows[0]!.now, bucketMs);
  const byBucket = new Map(finished.rows.map((r) => [`${r.queue}|${r.at}`, r]));
  for (const r of finished.rows) of(r.queue);
  for (const queue of figures.keys()) {
    of(queue).series = bucketStarts.map((at) => {
      const row = byBucket.get(`${queue}|${at}`);
      return { at, succeeded: Number(row?.succeeded ?? 0), failed: Number(row?.failed ?? 0) };
    });
  }
  return figures;
}

/** The starts of the buckets from `first` up to the one holding `now`, as ISO strings. */
function bucketsBetween(first: Date, now: Date, bucketMs: number): string[] {
  const starts: string[] = [];
  for (let at = first.getTime(); at <= now.getTime(); at += bucketMs) starts.push(new Date(at).toISOString());
  return starts;
}
