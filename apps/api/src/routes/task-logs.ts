import { taskLogsQuerySchema } from '@conveyor/contracts';
import { type Database, listTaskLogs, toTaskLogLine } from '@conveyor/db';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { sequenceCursorOf } from '../cursor';
import { loadTask } from '../load-task';
import { parseQuery } from '../query';

/**
 * GET /tasks/{id}/logs: the lines the task's handler wrote (ctx.log), oldest first, paged by
 * an opaque cursor. An API key (or session) of the task's tenant only: a task token, meant for
 * an end user's browser, does not read what the handler says to its developer.
 */
export function taskLogsRouter(db: Kysely<Database>): Router {
  const router = Router();
  router.get('/tasks/:id/logs', async (req, res) => {
    const query = parseQuery(req, taskLogsQuerySchema);
    const afterSeq = sequenceCursorOf(query.cursor);
    const task = await loadTask(db, req, res);
    const page = await listTaskLogs(db, task.id, { afterSeq, limit: query.limit });
    res.json({ logs: page.rows.map(toTaskLogLine), next_cursor: page.next ?? null });
  });
  return router;
}
