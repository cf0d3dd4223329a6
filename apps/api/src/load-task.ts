import { taskIdSchema } from '@conveyor/contracts';
import { type Database, type TaskRow, findTaskForTenant } from '@conveyor/db';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import { loadOwned } from './load-owned';

/** The caller's task named by :id; 400 for a malformed id, 404 for a missing or foreign one. */
export function loadTask(db: Kysely<Database>, req: Request, res: Response): Promise<TaskRow> {
  return loadOwned(req, res, { what: 'task', idSchema: taskIdSchema, find: (id, tenantId) => findTaskForTenant(db, id, tenantId) });
}
