import { taskIdSchema } from '@conveyor/contracts';
import { type Database, type Principal, type TaskRow, findTaskForTenant } from '@conveyor/db';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import { loadOwned } from './load-owned';

/**
 * The caller's task named by :id; 400 for a malformed id, 404 for a missing or foreign one.
 * A task token reads only its own task: any other id is a 404, exactly as a task that does
 * not exist (the one place a token's scope is enforced).
 */
export function loadTask(db: Kysely<Database>, req: Request, res: Response): Promise<TaskRow> {
  const scope = (res.locals.principal as Principal).taskScope;
  const find = (id: string, tenantId: string) =>
    scope !== undefined && id.toLowerCase() !== scope ? Promise.resolve(undefined) : findTaskForTenant(db, id, tenantId);
  return loadOwned(req, res, { what: 'task', idSchema: taskIdSchema, find });
}
