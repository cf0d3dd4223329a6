import { submitTaskBodySchema, taskIdSchema, testTaskQuerySchema } from '@conveyor/contracts';
import { findTaskForTenant } from '@conveyor/db';
import { type Request, type Response, Router } from 'express';
import { HttpError, validationError } from '../http-error';
import { tenantOf } from '../middleware/authenticate';
import { type SubmitDeps, submitTask } from '../submit-task';
import { toResultView, toTaskView } from '../task-view';

function accepted(res: Response, taskId: string) {
  res
    .status(202)
    .location(`/api/v1/tasks/${taskId}`)
    .json({ task_id: taskId, status: 'PENDING', message: `Task accepted; poll GET /api/v1/tasks/${taskId}` });
}

/** The task routes of DESIGN.md §5, all scoped to the caller's tenant. */
export function tasksRouter(deps: SubmitDeps): Router {
  const router = Router();

  async function loadTask(req: Request, res: Response) {
    const id = taskIdSchema.safeParse(req.params.id);
    if (!id.success) throw new HttpError(400, 'invalid_task_id', `"${String(req.params.id).slice(0, 64)}" is not a task id (a UUID)`);
    const row = await findTaskForTenant(deps.db, id.data, tenantOf(res));
    // Another tenant's task and a missing one look the same: 404, never 403.
    if (!row) throw new HttpError(404, 'task_not_found', `No task ${id.data}`);
    return row;
  }

  router.post('/tasks', async (req, res) => {
    if (req.body === undefined) throw new HttpError(400, 'invalid_body', 'Send a JSON object body with Content-Type: application/json');
    const body = submitTaskBodySchema.safeParse(req.body);
    if (!body.success) throw validationError(body.error, 'request body');
    const row = await submitTask(deps, tenantOf(res), body.data.task, body.data.payload);
    accepted(res, row.id);
  });

  router.post('/tasks/test', async (req, res) => {
    const query = testTaskQuerySchema.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'query');
    const row = await submitTask(deps, tenantOf(res), 'test_task', { message: query.data.message });
    accepted(res, row.id);
  });

  router.get('/tasks/:id', async (req, res) => {
    res.json(toTaskView(await loadTask(req, res)));
  });

  router.get('/tasks/:id/result', async (req, res) => {
    res.json(toResultView(await loadTask(req, res)));
  });

  // Kept for clients written against the old job API.
  router.get('/jobs/:id/status', async (req, res) => {
    res.json(toTaskView(await loadTask(req, res)));
  });

  return router;
}
