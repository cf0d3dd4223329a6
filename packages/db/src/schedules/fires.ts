import { type Kysely, sql } from 'kysely';
import type { Database, TaskRow } from '../schema';
import { type DueSchedule, type ScheduleAdvance, claimDueSchedules } from './due';

/**
 * One fire to make: the task row takes tenant, task and payload from its schedule's row (in
 * Postgres, so the payload never travels), and queue and attempts from taskRow, which decides
 * them for every origin.
 */
export interface ScheduleFire {
  scheduleId: string;
  plannedAt: Date;
  queue: string;
  maxAttempts: number;
}

/** What the tick decided for the schedules it claimed. */
export interface PlannedFires {
  fires: ScheduleFire[];
  /** Every schedule planned; those left out stay due, unchanged, for the next batch. */
  advances: ScheduleAdvance[];
}

/** A fire task made: what the producer needs to enqueue it. */
export type FiredTask = Pick<TaskRow, 'id' | 'task' | 'queue' | 'priority'>;

export interface FireBatch {
  /** Due schedules claimed. */
  claimed: number;
  /** Of those, the ones planned and advanced. */
  planned: number;
  /** The fire tasks made (a fire made before, by this replica or another, is not made again). */
  created: FiredTask[];
}

/**
 * One batch of schedule fires, in one transaction of two statements: claim due schedules,
 * let `plan` decide their fires and next times while they are locked, then one statement
 * inserts the fire tasks (unique on (schedule_id, planned_at), so no fire is made twice) and
 * advances the schedules; commit. The caller enqueues the created tasks after the commit; a
 * crash in between leaves PENDING tasks with no job, which the reconciler enqueues.
 */
export function fireScheduleBatch(db: Kysely<Database>, limit: number, plan: (due: DueSchedule[]) => PlannedFires): Promise<FireBatch> {
  return db.transaction().execute(async (trx) => {
    const due = await claimDueSchedules(trx, limit);
    if (due.length === 0) return { claimed: 0, planned: 0, created: [] };
    const { fires, advances } = plan(due);
    const created = await insertFiresAndAdvance(trx, fires, advances);
    return { claimed: due.length, planned: advances.length, created };
  });
}

// One fixed text, whatever the batch's size: every column comes as one array. The advance
// runs as a data-modifying CTE; the insert's join reads the schedules as the statement began,
// which is what it needs of them (tenant, task, payload; the advance changes none). With no
// conflict target, a fire made before is skipped rather than failing the batch.
async function insertFiresAndAdvance(trx: Kysely<Database>, fires: ScheduleFire[], advances: ScheduleAdvance[]): Promise<FiredTask[]> {
  const iso = isoStrings();
  const { rows } = await sql<FiredTask>`
    with advanced as (
      update schedules s set next_run_at = a.next, last_run_at = coalesce(a.last, s.last_run_at), updated_at = now()
        from unnest(${advances.map((a) => a.id)}::uuid[], ${advances.map((a) => iso(a.next))}::timestamptz[], ${advances.map((a) => iso(a.last))}::timestamptz[])
          as a(id, next, last)
       where s.id = a.id)
    insert into tasks (id, tenant_id, task, queue, payload, max_attempts, schedule_id, planned_at, origin)
    select gen_random_uuid(), s.tenant_id, s.task, f.queue, s.payload, f.max_attempts, s.id, f.planned_at, 'schedule'
      from unnest(${fires.map((f) => f.scheduleId)}::uuid[], ${fires.map((f) => iso(f.plannedAt))}::timestamptz[], ${fires.map((f) => f.queue)}::text[],
                  ${fires.map((f) => f.maxAttempts)}::int[]) as f(schedule_id, planned_at, queue, max_attempts)
      join schedules s on s.id = f.schedule_id
    on conflict do nothing
    returning id, task, queue, priority`.execute(trx);
  return rows;
}

/** Date → ISO string, remembering the last one: the fires of a batch mostly share their times. */
function isoStrings(): (d: Date | null) => string | null {
  let lastMs = Number.NaN;
  let lastIso = '';
  return (d) => {
    if (!d) return null;
    const ms = d.getTime();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = d.toISOString();
    }
    return lastIso;
  };
}
