import type { Kysely } from 'kysely';
import { runPrepared } from '../connect';
import type { Database, TaskRow } from '../schema';
import { taskColumns } from './task-columns';

// The task and what its LLM calls cost, by attempt, as a JSON array of [attempt, cost] pairs
// (null without any): the usage rows are found by the task's id (index usage_tracking_task).
const FIND_TASK_WITH_COSTS = `
select ${taskColumns('t')},
       (select json_agg(json_build_array(c.attempt, c.cost))
          from (select attempt, sum(cost_usd) as cost from usage_tracking where task_id = t.id group by attempt) c) as costs_by_attempt
  from tasks t
 where t.id = $1 and t.tenant_id = $2`;

/** What a task's LLM calls cost: in all, and by the attempt they were made in (usage rows without an attempt count in the total only). */
export interface TaskCosts {
  totalUsd: number;
  byAttempt: Map<number, number>;
}

/** A task row with what its LLM calls cost (the single-task read). */
export interface TaskWithCosts {
  row: TaskRow;
  costs: TaskCosts;
}

type Found = TaskRow & { costs_by_attempt: [number | null, number][] | null };

/**
 * A tenant's task and its costs in one prepared statement: one round trip, and planned once
 * per connection, where an ad hoc statement was planned on every read (with the task table's
 * dozen indexes, planning cost several times what running it did). Another tenant's task is
 * indistinguishable from a missing one.
 */
export async function findTaskWithCostsForTenant(db: Kysely<Database>, id: string, tenantId: string): Promise<TaskWithCosts | undefined> {
  const [found] = await runPrepared<Found>(db, 'conveyor_find_task_with_costs_v1', FIND_TASK_WITH_COSTS, [id, tenantId]);
  if (!found) return undefined;
  const { costs_by_attempt: pairs, ...row } = found;
  return { row, costs: costsOf(pairs ?? []) };
}

function costsOf(pairs: [number | null, number][]): TaskCosts {
  const byAttempt = new Map<number, number>();
  let totalUsd = 0;
  for (const [attempt, cost] of pairs) {
    totalUsd += cost;
    if (attempt !== null) byAttempt.set(attempt, cost);
  }
  return { totalUsd, byAttempt };
}
