import {
  MAX_BATCH,
  type TaskSubmission,
  idempotencyKeySchema,
  listTasksQuerySchema,
  taskTokenQuerySchema,
  submitBatchBodySchema,
  submitTaskBodySchema,
  taskSubmissionSchema,
  testTaskQuerySchema,
} from '@conveyor/contracts';
import { listTasksForTenant } from '@conveyor/db';
import { type Request, type Response, Router } from 'express';
import type { ZodError } from 'zod';
import { HttpError, toIssues, validationError } from '../http-error';
import { cursorOf } from '../cursor';
import { loadTask, loadTaskWithCosts } from '../load-task';
import { tenantOf } from '../middleware/authenticate';
import { parseQuery } from '../query';
import { type SubmitDeps, type SubmittedTask, catalogIssues, submissionError, submitTasks } from '../submit-tasks';
import { toResultView, toTaskView } from '../task-view';

function requireJsonBody(req: Request): unknown {
  if (req.body === undefined) throw new HttpError(400, 'invalid_body', 'Send a JSON object body with Content-Type: application/json');
  return req.body;
}

/**
 * The standard Idempotency-Key header, if sent: it means what the body's idempotency_key
 * means. Sent with a different body key, it is a 400 rather than a guess.
 */
function idempotencyHeader(req: Request): string | undefined {
  const header = req.get('idempotency-key');
  if (header === undefined) return undefined;
  const key = idempotencyKeySchema.safeParse(header);
  if (!key.success)
    throw new HttpError(400, 'validation_failed', 'Invalid Idempotency-Key header: it must be 1 to 200 characters', [
      { path: 'header.idempotency-key', message: 'must be 1 to 200 characters' },
    ]);
  return key.data;
}

function withHeaderKey<T extends { idempotency_key?: string }>(submission: T, key: string | undefined, path: string): T {
  if (key === undefined) return submission;
  if (submission.idempotency_key !== undefined && submission.idempotency_key !== key) {
    throw new HttpError(400, 'validation_failed', `The Idempotency-Key header and ${path} differ; send one of them, or the same key in both`, [
      { path, message: 'differs from the Idempotency-Key header' },
    ]);
  }
  return { ...submission, idempotency_key: key };
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

/** Submitting, listing and reading tasks (README.md, "How it fits together"), all scoped to the caller's tenant. */
export function tasksRouter(deps: SubmitDeps): Router {
  const router = Router();

  router.post('/tasks', async (req, res) => {
    const key = idempotencyHeader(req);
    const body = submitTaskBodySchema.safeParse(requireJsonBody(req));
    if (!body.success) throw validationError(body.error, 'request body');
    const [submitted] = await submitTasks(deps, tenantOf(res), [withHeaderKey(body.data, key, 'idempotency_key')], () => undefined);
    answerOne(res, submitted!);
  });

  router.post('/tasks/batch', async (req, res) => {
    const key = idempotencyHeader(req);
    const raw = requireJsonBody(req);
    const body = submitBatchBodySchema.safeParse(raw);
    if (!body.success) throw batchError(raw, body.error);
    // A header key stands for the whole request: item i gets "<key>:<i>" unless it has its own.
    const items = body.data.tasks.map((item, i) =>
      key === undefined || item.idempotency_key !== undefined ? item : { ...item, idempotency_key: `${key}:${i}` },
    );
    const submitted = await submitTasks(deps, tenantOf(res), items, (i) => `tasks.${i}`, 'batch');
    res.status(202).json({
      count: submitted.length,
      created: submitted.filter((s) => s.created).length,
      tasks: submitted.map(({ row, created }) => ({ task_id: row.id, status: row.status, created })),
    });
  });

  router.post('/tasks/test', async (req, res) => {
    const query = parseQuery(req, testTaskQuerySchema);
    const submission: TaskSubmission = { task: 'test_task', payload: { message: query.message } };
    const [submitted] = await submitTasks(deps, tenantOf(res), [withHeaderKey(submission, idempotencyHeader(req), 'idempotency_key')], () => undefined);
    answerOne(res, submitted!);
  });

  router.get('/tasks', async (req, res) => {
    const query = parseQuery(req, listTasksQuerySchema);
    const after = cursorOf(query.cursor);
    const page = await listTasksForTenant(deps.db, tenantOf(res), {
      status: query.status,
      task: query.task,
      queue: query.queue,
      scheduleId: query.schedule_id,
      campaignId: query.campaign_id,
      tags: query.tag,
      createdAfter: query.created_after,
      createdBefore: query.created_before,
      after,
      limit: query.limit,
    });
    res.json({ tasks: page.rows.map((row) => toTaskView(row)), next_cursor: page.next ?? null });
  });

  // These two, and the events, also take a task token (?token=) instead of an API key.
  router.get('/tasks/:id', async (req, res) => {
    parseQuery(req, taskTokenQuerySchema);
    const { row, costs } = await loadTaskWithCosts(deps.db, req, res);
    res.json(toTaskView(row, costs));
  });

  router.get('/tasks/:id/result', async (req, res) => {
    parseQuery(req, taskTokenQuerySchema);
    res.json(toResultView(await loadTask(deps.db, req, res)));
  });

  // Kept for clients written against the old job API.
  router.get('/jobs/:id/status', async (req, res) => {
    const { row, costs } = await loadTaskWithCosts(deps.db, req, res);
    res.json(toTaskView(row, costs));
  });

  return router;
}
