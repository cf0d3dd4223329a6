import { taskIdSchema } from '@conveyor/contracts';
import { type Database, type TaskRow, findTaskForTenant } from '@conveyor/db';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import { HttpError } from './http-error';
import { tenantOf } from './middleware/authenticate';

/** The caller's task named by :id; 400 for a malformed id, 404 for a missing or foreign one. */
export async function loadTask(db: Kysely<Database>, req: Request, res: Response): Promise<TaskRow> {
  const id = taskIdSchema.safeParse(req.params.id);
  if (!id.success) throw new HttpError(400, 'invalid_task_id', `"${String(req.params.id).slice(0, 64)}" is not a task id (a UUID)`);
  const row = await findTaskForTenant(db, id.data, tenantOf(res));
  // Another tenant's task and a missing one look the same: 404, never 403.
  if (!row) throw new HttpError(404, 'task_not_found', `No task ${id.data}`);
  return row;
}
