import {
  TASK_LOG_LIMITS,
  createTaskTokenBodySchema,
  taskLogLineSchema,
  taskLogsPageSchema,
  taskLogsQuerySchema,
  listTasksQuerySchema,
  submitTaskResponseSchema,
  taskErrorSchema,
  taskEventSchema,
  taskStatusSchema,
  taskTokenQuerySchema,
  taskTokenSchema,
} from '@conveyor/contracts';
import { z } from 'zod';
import { type ApiRoute, type TaskSchemas, error, json, retryLater, tag, taskParams } from './parts';

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
function readRoutes({ taskView, results }: TaskSchemas, read: ReadTask): ApiRoute[] {
  return [
    tag(tasks, {
      method: 'get',
      path: '/api/v1/tasks',
      operationId: 'listTasks',
      summary: "The tenant's tasks, newest first, cursor-paged; filter by statuses, task, queue, schedule, campaign, tags and creation time",
      description:
        'Every filter given must hold (tags: the task carries every one). The list shows no payload, attempt history or cost: GET /api/v1/tasks/{id} does.',
      request: { query: listTasksQuerySchema },
      responses: {
        200: json(z.object({ tasks: z.array(taskView), next_cursor: z.string().nullable() }), 'A page of tasks'),
        400: error('Invalid query or cursor'),
      },
    }),
    tag(tasks, {
      ...read,
      path: '/api/v1/tasks/{id}',
      operationId: 'getTask',
      summary: "A task's status, progress and attempts",
      description: TOKEN_NOTE.trimStart(),
      request: { params: taskParams, query: taskTokenQuerySchema },
      responses: { ...read.responses, ...tokenErrors },
    }),
    tag(tasks, {
      method: 'get',
      path: '/api/v1/tasks/{id}/result',
      operationId: 'getTaskResult',
      summary: "A task's result, or its error",
      description: TOKEN_NOTE.trimStart(),
      request: { params: taskParams, query: taskTokenQuerySchema },
      responses: {
        200: json(
          z.object({ task_id: z.uuid(), status: taskStatusSchema, result: results.optional(), error: taskErrorSchema.optional() }),
          'The result (SUCCESS), the error (FAILURE) or neither yet',
        ),
        ...tokenErrors,
      },
    }),
    tag(tasks, {
      method: 'get',
      path: '/api/v1/tasks/{id}/logs',
      operationId: 'listTaskLogs',
      summary: "The lines the task's handler wrote (ctx.log), oldest first, cursor-paged",
      description: `Lines are capped: a message at ${TASK_LOG_LIMITS.messageChars} characters, fields at ${TASK_LOG_LIMITS.fieldsBytes} bytes of JSON, ${TASK_LOG_LIMITS.linesPerTask} lines a task (then one warn line says later ones were dropped); secrets are redacted. Deleted with the task. An API key of the task's tenant only: a task token is refused.`,
      request: { params: taskParams, query: taskLogsQuerySchema },
      responses: {
        200: json(taskLogsPageSchema, 'A page of log lines'),
        400: error('Invalid query, cursor or task id'),
        401: error('Missing, unknown or revoked API key, or a task token (not accepted here)'),
        404: error('No such task for this tenant'),
      },
    }),
    tag(tasks, {
      method: 'get',
      path: '/api/v1/tasks/{id}/events',
      operationId: 'streamTaskEvents',
      summary: 'Server-sent events of every state and progress change until the task ends',
      description:
        'Each `state` event carries a TaskEvent as JSON ({task_id, status, progress, message, attempts, at}); the last, `end`, carries the same fields plus `result` (SUCCESS) and `error` (FAILURE, REVOKED), read from Postgres, and closes the stream. A client that connects after the end gets only the `end` event. Called with an API key (not a task token), the stream also carries `log` events, one per line the handler wrote (the objects of GET /api/v1/tasks/{id}/logs plus task_id), oldest first: on connecting, the lines stored so far, then each as it is stored. An event id names both the last state and the last log line sent, so a client that reconnects with Last-Event-ID gets neither again. Changes arrive as workers commit them; if a live message is lost, a re-read of the task every 2 s catches up, and the states in between are seen as the latest one. A browser, whose EventSource cannot send an Authorization header, passes a task token instead: `new EventSource(events_url)` with the events_url of POST /api/v1/tasks/{id}/tokens.' +
        TOKEN_NOTE,
      request: { params: taskParams, query: taskTokenQuerySchema },
      responses: {
        200: {
          description: 'text/event-stream of TaskEvent (`state`, `end`) and, with an API key, TaskLogLine (`log`)',
          content: { 'text/event-stream': { schema: z.union([taskEventSchema, taskLogLineSchema.extend({ task_id: z.uuid() })]) } },
        },
        ...tokenErrors,
        429: retryLater('Too many streams open for this tenant or this API process (or past the rate limit); see Retry-After'),
      },
    }),
  ];
}

/** The task routes after submission: read, cancel, retry, and the /jobs alias. */
export function taskRoutes(schemas: TaskSchemas): ApiRoute[] {
  const read = readTask(schemas.taskView);
  return [
    ...readRoutes(schemas, read),
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks/{id}/cancel',
      operationId: 'cancelTask',
      summary: 'Revoke a task: removed if queued, aborted if running',
      request: { params: taskParams },
      responses: { 200: json(submitTaskResponseSchema, 'Revoked'), 404: error('No such task for this tenant'), 409: error('The task already ended') },
    }),
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks/{id}/retry',
      operationId: 'retryTask',
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
      operationId: 'createTaskToken',
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
    tag(tasks, { ...read, path: '/api/v1/jobs/{id}/status', operationId: 'getJobStatus', summary: 'Alias of GET /api/v1/tasks/{id}' }),
  ];
}
