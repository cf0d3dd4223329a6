import { type Kysely, sql } from 'kysely';
import type { Database, Plan, ScheduleRow } from '../schema';

type Db = Kysely<Database>;

/** What the tick reads of a due schedule to plan it (its payload stays in Postgres), with its tenant's plan and Postgres' now(). */
export type DueSchedule = Pick<
  ScheduleRow,
  'id' | 'tenant_id' | 'kind' | 'run_at' | 'cron' | 'rrule' | 'dtstart' | 'timezone' | 'task' | 'misfire_policy' | 'end_at' | 'next_run_at' | 'last_run_at'
> & { plan: Plan; db_now: Date };

/** Where a schedule goes after a batch: next_run_at (null: it stops), last_run_at (null: unchanged). */
export interface ScheduleAdvance {
  id: string;
  next: Date | null;
  last: Date | null;
}

/**
 * Locks up to `limit` due schedules (`next_run_at <= now()`, Postgres' clock), oldest first,
 * with FOR UPDATE SKIP LOCKED: replicas (and concurrent batches of one replica) never claim
 * the same one. Call it in a transaction; the locks last until it ends.
 */
export async function claimDueSchedules(trx: Db, limit: number): Promise<DueSchedule[]> {
  const { rows } = await sql<DueSchedule>`
    select s.id, s.tenant_id, s.kind, s.run_at, s.cron, s.rrule, s.dtstart, s.timezone, s.task, s.misfire_policy, s.end_at,
           s.next_run_at, s.last_run_at, t.plan, now() as db_now
      from schedules s join tenants t on t.id = s.tenant_id
     where s.enabled and s.next_run_at <= now()
     order by s.next_run_at
     limit ${limit}
       for update of s skip locked`.execute(trx);
  return rows;
}
