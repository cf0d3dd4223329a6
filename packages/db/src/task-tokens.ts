import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { hashApiKey } from './api-keys';
import type { Database, Plan } from './schema';

type Db = Kysely<Database>;

/** What every task token starts with, so logs, the API and people can tell it from an API key (cvk_). */
export const TASK_TOKEN_PREFIX = 'cvt_';

/** Who a valid task token speaks for, and the one task it reads. */
export interface TaskTokenGrant {
  taskId: string;
  tenantId: string;
  plan: Plan;
}

/**
 * A new token for the tenant's task, valid for ttlSeconds (counted by Postgres's clock, which
 * also judges expiry). 32 random bytes, stored as their sha256 only, as API keys are. Undefined
 * when the task is not the tenant's (or was deleted a moment ago).
 */
export async function createTaskToken(
  db: Db,
  input: { taskId: string; tenantId: string; ttlSeconds: number },
): Promise<{ token: string; expiresAt: Date } | undefined> {
  const token = TASK_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  // Insert from the task's row, so a task deleted since the caller read it gives no row rather than a foreign-key error.
  const row = await db
    .insertInto('task_tokens')
    .columns(['token_hash', 'task_id', 'tenant_id', 'expires_at'])
    .expression((eb) =>
      eb
        .selectFrom('tasks')
        .select([eb.val(hashApiKey(token)).as('token_hash'), 'id', 'tenant_id', sql<Date>`now() + ${input.ttlSeconds} * interval '1 second'`.as('expires_at')])
        .where('id', '=', input.taskId)
        .where('tenant_id', '=', input.tenantId),
    )
    .returning('expires_at')
    .executeTakeFirst();
  return row ? { token, expiresAt: row.expires_at } : undefined;
}

/** The grant of a presented token, or undefined when it is unknown or expired. */
export async function findTaskToken(db: Db, token: string): Promise<TaskTokenGrant | undefined> {
  const row = await db
    .selectFrom('task_tokens')
    .innerJoin('tenants', 'tenants.id', 'task_tokens.tenant_id')
    .select(['task_tokens.task_id', 'task_tokens.tenant_id', 'tenants.plan'])
    .where('task_tokens.token_hash', '=', hashApiKey(token))
    .where('task_tokens.expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row ? { taskId: row.task_id, tenantId: row.tenant_id, plan: row.plan } : undefined;
}

/** Deletes up to `limit` expired tokens; the retention job repeats it until a batch comes back short. */
export async function deleteExpiredTaskTokens(db: Db, limit: number): Promise<number> {
  const result = await sql`
    delete from task_tokens where token_hash in (
      select token_hash from task_tokens where expires_at < now() limit ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
