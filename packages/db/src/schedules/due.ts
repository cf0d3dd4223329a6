import { type Kysely, sql } from 'kysely';
import type { Database, Plan, ScheduleRow } from '../schema';

type Db = Kysely<Database>;

/** A due schedule as the tick claims it: with its tenant's plan and Postgres' now(). */
export type DueSchedule = ScheduleRow & { plan: Plan; db_now: Date };

/** Where a schedule goes after a batch: next_run_at (null: it stops), last_run_at (null: unchanged). */
export interface ScheduleAdvance {
  id: string;
  next: Date | null;
  last: Date | null;
}

/**
 * Locks up to `limit` due schedules (`next_run_at <= now()`, Postgres' clock), oldest first,
 * with FOR UPDATE SKIP LOCKED: replicas ticking at once never claim the same one. Call it in
 * a transaction; the locks last until it ends.
 */
export async function claimDueSchedules(trx: Db, limit: number): Promise<DueSchedule[]> {
  const { rows } = await sql<DueSchedule>`
    select s.*, t.plan, now() as db_now from schedules s join tenants t on t.id = s.tenant_id
     where s.enabled and s.next_run_at <= now()
     order by s.next_run_at
     limit ${limit}
       for update of s skip locked`.execute(trx);
  return rows;
}

/** Moves schedules on to their next due time, in one statement. */
export async function advanceSchedules(trx: Db, advances: ScheduleAdvance[]): Promise<void> {
  if (advances.length === 0) return;
  const values = sql.join(advances.map((a) => sql`(${a.id}::uuid, ${a.next}::timestamptz, ${a.last}::timestamptz)`));
  await sql`
    update schedules s set next_run_at = v.next, last_run_at = coalesce(v.last, s.last_run_at), updated_at = now()
      from (values ${values}) as v(id, next, last)
     where s.id = v.id`.execute(trx);
}
