import type { TaskStatus } from '@conveyor/contracts';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema';

type Db = Kysely<Database>;

/** What the reconciler needs to know of an unfinished task. */
export interface UnfinishedTask {
  id: string;
  task: string;
  queue: string;
  status: TaskStatus;
  priority: number;
  attempt: number;
  max_attempts: number;
  /** Milliseconds until it may run (delay or retry backoff), 0 when due. */
  delay_ms: number;
  /** Milliseconds since its current attempt started, null when none has. */
  running_ms: number | null;
}

/**
 * A page of unfinished tasks in the given states that have not changed for graceMs (so a
 * submission between its commit and its enqueue is left alone), after afterId's task in
 * (tenant_id, created_at, id) order: each page is a range of the partial index tasks_open
 * (migration 0023), whose key that is. A page after a task that no longer exists is empty.
 */
export async function findUnfinishedTasks(
  db: Db,
  query: { statuses: TaskStatus[]; graceMs: number; afterId?: string; limit: number },
): Promise<UnfinishedTask[]> {
  // The last row's key, read by its id (tenant_id, created_at and id never change).
  const after =
    query.afterId === undefined
      ? sql``
      : sql`and (t.tenant_id, t.created_at, t.id) > (select a.tenant_id, a.created_at, a.id from tasks a where a.id = ${query.afterId}::uuid)`;
  const { rows } = await sql<UnfinishedTask>`
    select t.id, t.task, t.queue, t.status, t.priority, t.attempt, t.max_attempts,
           greatest(0, ceil(extract(epoch from (coalesce(case when t.status = 'RETRY' then t.next_attempt_at end, t.run_at, now()) - now())) * 1000))::int as delay_ms,
           case when t.started_at is null then null else (extract(epoch from (now() - t.started_at)) * 1000)::bigint::int end as running_ms
      from tasks t
     where t.final_status is null and t.status in (${sql.join(query.statuses)})
       and t.updated_at < now() - ${query.graceMs} * interval '1 millisecond'
       ${after}
     order by t.tenant_id, t.created_at, t.id
     limit ${query.limit}`.execute(db);
  return rows;
}

/** Deletes up to `limit` finished tasks past their retention (not those in the dead-letter table). */
export async function deleteExpiredTasks(db: Db, limit: number): Promise<number> {
  const result = await sql`
    delete from tasks where id in (
      select id from tasks
       where expires_at < now()
         and not exists (select 1 from dead_letters d where d.task_id = tasks.id)
       limit ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Deletes up to `limit` dead letters older than `days`, with their tasks. */
export async function deleteOldDeadLetters(db: Db, days: number, limit: number): Promise<number> {
  const result = await sql`
    delete from tasks where id in (
      select task_id from dead_letters where failed_at < now() - ${days} * interval '1 day' limit ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Runs fn only if no other process holds the named lock right now (pg_try_advisory_xact_lock
 * in a transaction kept open while fn runs). Returns whether fn ran. Lets any number of
 * scheduler replicas run the same periodic job without running it twice at once.
 */
export async function withExclusiveRun(db: Db, lockKey: number, fn: () => Promise<void>): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${lockKey}) as locked`.execute(trx);
    if (!rows[0]?.locked) return false;
    await fn();
    return true;
  });
}
