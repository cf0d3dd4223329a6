import type { Kysely } from 'kysely';
import type { Database, TaskRow } from '../schema';
import { createTasks } from '../tasks/submit';
import type { TaskInsert } from '../tasks/task-row';
import { type DueSchedule, type ScheduleAdvance, advanceSchedules, claimDueSchedules } from './due';

/** What the tick decided for the schedules it claimed. */
export interface PlannedFires {
  /** One task row per fire (taskRow with `fire`). */
  fires: TaskInsert[];
  /** Every schedule planned; those left out stay due, unchanged, for the next batch. */
  advances: ScheduleAdvance[];
}

export interface FireBatch {
  /** Due schedules claimed. */
  claimed: number;
  /** Of those, the ones planned and advanced. */
  planned: number;
  /** The fire tasks made (a fire made before, by this replica or another, is not made again). */
  created: TaskRow[];
}

/**
 * One batch of schedule fires, in one transaction: claim due schedules, let `plan` decide
 * their fires and next times while they are locked, insert the fire tasks (unique on
 * (schedule_id, planned_at), so no fire is made twice), advance the schedules, commit. The
 * caller enqueues the created tasks after the commit; a crash in between leaves PENDING tasks
 * with no job, which the reconciler enqueues.
 */
export function fireScheduleBatch(db: Kysely<Database>, limit: number, plan: (due: DueSchedule[]) => PlannedFires): Promise<FireBatch> {
  return db.transaction().execute(async (trx) => {
    const due = await claimDueSchedules(trx, limit);
    if (due.length === 0) return { claimed: 0, planned: 0, created: [] };
    const { fires, advances } = plan(due);
    const created = await createTasks(trx, fires);
    await advanceSchedules(trx, advances);
    return { claimed: due.length, planned: advances.length, created };
  });
}
