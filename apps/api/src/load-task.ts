import { taskIdSchema } from '@conveyor/contracts';
import { type Database, type Principal, type TaskRow, type TaskWithCosts, findTaskForTenant, findTaskWithCostsForTenant } from '@conveyor/db';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import { loadOwned } from './load-owned';

type Find<T> = (db: Kysely<Database>, id: string, tenantId: string) => Promise<T | undefined>;

/**
 * The caller's task named by :id, found by `find`; 400 for a malformed id, 404 for a missing or
 * foreign one. A task token reads only its own task: any other id is a 404, exactly as a task
 * that does not exist (the one place a token's scope is enforced).
 */
function loadScoped<T>(db: Kysely<Database>, req: Request, res: Response, find: Find<T>): Promise<T> {
  const scope = (res.locals.principal as Principal).taskScope;
  return loadOwned(req, res, {
    what: 'task',
    idSchema: taskIdSchema,
    find: (id, tenantId) => (scope !== undefined && id.toLowerCase() !== scope ? Promise.resolve(undefined) : find(db, id, tenantId)),
  });
}

/** The caller's task named by :id (loadScoped: 400, 404, a task token's scope). */
export function loadTask(db: Kysely<Database>, req: Request, res: Response): Promise<TaskRow> {
  return loadScoped(db, req, res, findTaskForTenant);
}

/** The caller's task named by :id with what its LLM calls cost, in one statement (the single-task read). */
export function loadTaskWithCosts(db: Kysely<Database>, req: Request, res: Response): Promise<TaskWithCosts> {
  return loadScoped(db, req, res, findTaskWithCostsForTenant);
}
