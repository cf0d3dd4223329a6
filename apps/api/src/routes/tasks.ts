import { MAX_BATCH, listTasksQuerySchema, submitBatchBodySchema, submitTaskBodySchema, taskSubmissionSchema, testTaskQuerySchema } from '@conveyor/contracts';
import { decodeCursor, listTasksForTenant } from '@conveyor/db';
import { type Request, type Response, Router } from 'express';
import type { ZodError } from 'zod';
import { HttpError, toIssues, validationError } from '../http-error';
import { loadTask } from '../load-task';
import { tenantOf } from '../middleware/authenticate';
import { type SubmitDeps, type SubmittedTask, catalogIssues, submissionError, submitTasks } from '../submit-tasks';
import { toResultView, toTaskView } from '../task-view';

function requireJsonBody(req: Request): unknown {
  if (req.body === undefined) throw new HttpError(400, 'invalid_body', 'Send a JSON object body with Content-Type: application/json');
  return req.body;
}

/** 202 for a new task; 200 with the existing task for an idempotent replay. */
function answerOne(res: Response, { row, created }: SubmittedTask) {
  res
    .status(created ? 202 : 200)
    .location(`/api/v1/tasks/${row.id}`)
    .json({
      task_id: row.id,
      status: row.status,
      message: created ? `Task accepted; poll GET /api/v1/tasks/${row.id}` : 'This idempotency key was used before: this is that task',
    });
}

/**
 * A batch is validated as a whole: besides what is wrong with its shape, the items whose
 * shape is right are checked against the catalog too, so one answer names every bad item.
 */
function batchError(raw: unknown, shapeError: ZodError): HttpError {
  const items = (raw as { tasks?: unknown } | null)?.tasks;
  const wellFormed = Array.isArray(items) && items.length <= MAX_BATCH ? items.map((item) => taskSubmissionSchema.safeParse(item).data) : [];
  const { issues } = catalogIssues(wellFormed, (i) => `tasks.${i}`);
  return submissionError([...toIssues(shapeError), ...issues].sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true })));
}

/** Submitting, listing and reading tasks (DESIGN.md §5), all scoped to the caller's tenant. */
export function tasksRouter(deps: SubmitDeps): Router {
  const router = Router();

  router.post('/tasks', async (req, res) => {
    const body = submitTaskBodySchema.safeParse(requireJsonBody(req));
    if (!body.success) throw validationError(body.error, 'request body');
    const [submitted] = await submitTasks(deps, tenantOf(res), [body.data], () => undefined);
    answerOne(res, submitted!);
  });

  router.post('/tasks/batch', async (req, res) => {
    const raw = requireJsonBody(req);
    const body = submitBatchBodySchema.safeParse(raw);
    if (!body.success) throw batchError(raw, body.error);
    const submitted = await submitTasks(deps, tenantOf(res), body.data.tasks, (i) => `tasks.${i}`);
    res.status(202).json({
      count: submitted.length,
      created: submitted.filter((s) => s.created).length,
      tasks: submitted.map(({ row, created }) => ({ task_id: row.id, status: row.status, created })),
    });
  });

  router.post('/tasks/test', async (req, res) => {
    const query = testTaskQuerySchema.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'query');
    const [submitted] = await submitTasks(deps, tenantOf(res), [{ task: 'test_task', payload: { message: query.data.message } }], () => undefined);
    answerOne(res, submitted!);
  });

  router.get('/tasks', async (req, res) => {
    const query = listTasksQuerySchema.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'query');
    const after = query.data.cursor === undefined ? undefined : decodeCursor(query.data.cursor);
    if (query.data.cursor !== undefined && !after) throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API gave out; start again without it');
    const page = await listTasksForTenant(deps.db, tenantOf(res), { status: query.data.status, task: query.data.task, after, limit: query.data.limit });
    res.json({ tasks: page.rows.map((row) => toTaskView(row)), next_cursor: page.next ?? null });
  });

  router.get('/tasks/:id', async (req, res) => {
    const row = await loadTask(deps.db, req, res);
    res.json(toTaskView(row, true));
  });

  router.get('/tasks/:id/result', async (req, res) => {
    res.json(toResultView(await loadTask(deps.db, req, res)));
  });

  // Kept for clients written against the old job API.
  router.get('/jobs/:id/status', async (req, res) => {
    const row = await loadTask(deps.db, req, res);
    res.json(toTaskView(row, true));
  });

  return router;
}
