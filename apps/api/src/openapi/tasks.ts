import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import {
  createTaskTokenBodySchema,
  listTasksQuerySchema,
  submitTaskResponseSchema,
  taskErrorSchema,
  taskEventSchema,
  taskTokenQuerySchema,
  taskTokenSchema,
} from '@conveyor/contracts';
import { z } from 'zod';
import { type TaskSchemas, error, json, tag, taskParams } from './parts';

const tasks = ['tasks'];

// GET /tasks/{id} and its alias /jobs/{id}/status answer the same.
const readTask = (taskView: TaskSchemas['taskView']) =>
  ({
    method: 'get',
    request: { params: taskParams },
    responses: { 200: json(taskView, 'The task'), 404: error('No such task for this tenant') },
  }) as const;
type ReadTask = ReturnType<typeof readTask>;

// The reads that take a task token (?token=) say so, and what a token's request may be answered.
const TOKEN_NOTE =
  ' With `?token=` (a task token from POST /api/v1/tasks/{id}/tokens) instead of an API key, the answer carries `Access-Control-Allow-Origin: *`.';
const tokenErrors = {
  401: error('Missing, unknown or revoked API key; or a task token that is unknown or expired (ask for a new one), or an API key in ?token='),
  404: error('No such task for this tenant, or not the task this token reads'),
};

/** The routes that read a tenant's tasks: the list, one task, its result, its events. */
function readRoutes({ taskView, results }: TaskSchemas, read: ReadTask): RouteConfig[] {
  return [
    tag(tasks, {
      method: 'get',
      path: '/api/v1/tasks',
      summary: "The tenant's tasks, newest first, cursor-paged; filter by statuses, task and schedule",
      request: { query: listTasksQuerySchema },
      responses: {
        200: json(z.object({ tasks: z.array(taskView), next_cursor: z.string().nullable() }), 'A page of tasks'),
        400: error('Invalid query or cursor'),
      },
    }),
    tag(tasks, {
      ...read,
      path: '/api/v1/tasks/{id}',
      summary: "A task's status, progress and attempts",
      description: TOKEN_NOTE.trimStart(),
      request: { params: taskParams, query: taskTokenQuerySchema },
      responses: { ...read.responses, ...tokenErrors },
    }),
    tag(tasks, {
      method: 'get',
      path: '/api/v1/tasks/{id}/result',
      summary: "A task's result, or its error",
      description: TOKEN_NOTE.trimStart(),
      request: { params: taskParams, query: taskTokenQuerySchema },
      responses: {
        200: json(
          z.object({ task_id: z.uuid(), status: z.string(), result: results.optional(), error: taskErrorSchema.optional() }),
          'The result (SUCCESS), the error (FAILURE) or neither yet',
        ),
        ...tokenErrors,
      },
    }),
    tag(tasks, {
      method: 'get',
      path: '/api/v1/tasks/{id}/events',
      summary: 'Server-sent events of every state and progress change until the task ends',
      description:
        'Each `state` event carries a TaskEvent as JSON ({task_id, status, progress, message, attempts, at}); the last, `end`, carries the same fields plus `result` (SUCCESS) and `error` (FAILURE, REVOKED), read from Postgres, and closes the stream. A client that connects after the end gets only the `end` event. Changes arrive as workers commit them; if a live message is lost, a re-read of the task every 2 s catches up, and the states in between are seen as the latest one. A browser, whose EventSource cannot send an Authorization header, passes a task token instead: `new EventSource(events_url)` with the events_url of POST /api/v1/tasks/{id}/tokens.' +
        TOKEN_NOTE,
      request: { params: taskParams, query: taskTokenQuerySchema },
      responses: {
        200: { description: 'text/event-stream of TaskEvent', content: { 'text/event-stream': { schema: taskEventSchema } } },
        ...tokenErrors,
        429: error('Too many streams open for this tenant or this API process (or past the rate limit); see Retry-After'),
      },
    }),
  ];
}

/** The task routes after submission: read, cancel, retry, and the /jobs alias. */
export function taskRoutes(schemas: TaskSchemas): RouteConfig[] {
  const read = readTask(schemas.taskView);
  return [
    ...readRoutes(schemas, read),
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks/{id}/cancel',
      summary: 'Revoke a task: removed if queued, aborted if running',
      request: { params: taskParams },
      responses: { 200: json(submitTaskResponseSchema, 'Revoked'), 404: error('No such task for this tenant'), 409: error('The task already ended') },
    }),
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks/{id}/retry',
      summary: 'Run a failed task again',
      request: { params: taskParams },
      responses: {
        202: json(
          submitTaskResponseSchema.extend({
            enqueued: z.boolean().meta({ description: 'false: Redis could not take it now; the reconciler will enqueue it' }),
          }),
          'Queued again',
        ),
        404: error('No such task for this tenant'),
        409: error('The task has not failed'),
      },
    }),
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks/{id}/tokens',
      summary: 'A short-lived token that reads this task from a browser (?token=)',
      description:
        "The token (cvt_...) reads only this task, only with GET /api/v1/tasks/{id}, /result and /events, in the query (`?token=`), until expires_at; it acts for the tenant (its rate limit). Any other route refuses it, and another task's id with it is a 404. For a page on another origin: `new EventSource(apiBase + events_url)`; its answers carry `Access-Control-Allow-Origin: *`. The token is shown only in this answer.",
      request: { params: taskParams, body: { required: false, content: { 'application/json': { schema: createTaskTokenBodySchema } } } },
      responses: {
        201: json(taskTokenSchema, 'The token, its expiry and the events URL with the token in it'),
        400: error('Invalid body (ttl_seconds out of 30..86400, unknown fields, not JSON) or task id'),
        404: error('No such task for this tenant'),
      },
    }),
    tag(tasks, { ...read, path: '/api/v1/jobs/{id}/status', summary: 'Alias of GET /api/v1/tasks/{id}' }),
  ];
}
