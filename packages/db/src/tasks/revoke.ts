import type { TaskStatus } from '@conveyor/contracts';
import { type Kysely, sql } from 'kysely';
import type { Database, TaskRow } from '../schema';

export type RevokeResult = { outcome: 'revoked'; previous: TaskStatus; row: TaskRow } | { outcome: 'finished'; row: TaskRow } | { outcome: 'not_found' };

/**
 * Revokes a tenant's task if it has not finished. The revoke is stored in Postgres, so it
 * holds for a task not yet picked up (its claim will refuse it) and across worker restarts
 * (a running attempt's next write is refused). Returns what the task was before.
 */
export async function revokeTask(db: Kysely<Database>, id: string, tenantId: string, retentionMs: number): Promise<RevokeResult> {
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('tasks').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
    if (!current) return { outcome: 'not_found' };
    if (['SUCCESS', 'FAILURE', 'REVOKED'].includes(current.status)) return { outcome: 'finished', row: current };
    // A running attempt ends here as `revoked` (its worker's next write will be refused).
    const row = await trx
      .updateTable('tasks')
      .set({
        status: 'REVOKED',
        message: 'Revoked by request',
        finished_at: sql`now()`,
        updated_at: sql`now()`,
        next_attempt_at: null,
        expires_at: sql`now() + ${retentionMs} * interval '1 millisecond'`,
        attempt_history: sql`case when status in ('STARTED', 'PROGRESS')
          then attempt_history || jsonb_build_array(jsonb_build_object('attempt', attempt, 'started_at', started_at, 'finished_at', now(), 'outcome', 'revoked', 'error', null, 'worker', worker))
          else attempt_history end`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { outcome: 'revoked', previous: current.status, row };
  });
}

/** Which of these tasks have been revoked (for a worker checking the ones it is running). */
export async function findRevokedTasks(db: Kysely<Database>, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('tasks').select('id').where('id', 'in', ids).where('status', '=', 'REVOKED').execute();
  return rows.map((r) => r.id);
}
