import { type Kysely, sql } from 'kysely';
import type { Database } from './schema';

// What monitoring reads of the backlog, from Postgres (the truth) and its clock (invariant 6).

/**
 * For each queue with a task waiting to run now, how long the oldest has waited, in seconds: a
 * PENDING or RETRY task that is due (its delay or retry backoff has passed) and not claimed,
 * waiting since it became due or was last put back (a release, a replay), whichever is later.
 * A queue with nothing waiting is absent. Reads only open rows (the partial index tasks_open).
 */
export async function oldestWaitingTaskAges(db: Kysely<Database>): Promise<{ queue: string; seconds: number }[]> {
  const { rows } = await sql<{ queue: string; seconds: number }>`
    with w as (
      select queue, greatest(updated_at, coalesce(case when status = 'RETRY' then next_attempt_at end, run_at, updated_at)) as since
        from tasks
       where final_status is null and status in ('PENDING', 'RETRY')
    )
    select queue, extract(epoch from (now() - min(since)))::float8 as seconds
      from w
     where since <= now()
     group by queue
     order by queue`.execute(db);
  return rows;
}

/**
 * How far the scheduler is behind, in seconds: the age of the earliest enabled schedule that
 * is due (next_run_at passed) and not yet fired, 0 when none is (the tick's own index).
 */
export async function scheduleLagSeconds(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ seconds: number }>`
    select coalesce(extract(epoch from (now() - min(next_run_at))), 0)::float8 as seconds
      from schedules
     where enabled and next_run_at is not null and next_run_at <= now()`.execute(db);
  return rows[0]?.seconds ?? 0;
}
