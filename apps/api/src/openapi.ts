import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import {
  TASK_CATALOG,
  TASK_NAMES,
  apiErrorSchema,
  createScheduleBodySchema,
  idempotencyKeySchema,
  listDeadLettersQuerySchema,
  listSchedulesQuerySchema,
  listTasksQuerySchema,
  patchScheduleBodySchema,
  replayDeadLettersBodySchema,
  scheduleIdSchema,
  submitTaskResponseSchema,
  taskErrorSchema,
  taskEventSchema,
  taskIdSchema,
  taskSubmissionSchema,
  taskViewSchema,
  testTaskQuerySchema,
  MAX_BATCH,
} from '@conveyor/contracts';
import { z } from 'zod';

// The OpenAPI 3.1 document of /api/v1, built from the same zod schemas the routes validate
// with, so it cannot drift from what the API accepts. Served at /docs (a page) and
// /docs/openapi.json. A route added to the API must be added here too: a test compares
// this list with the routes Express serves.

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(apiErrorSchema, description);
/** A response described in words where the API has no zod schema of its own for it. */
const object = (description: string) => json(z.object({}).catchall(z.unknown()), description);

const COMMON_ERRORS = {
  401: error('Missing, unknown or revoked API key'),
  429: error("Past the tenant's rate limit (plan requests per minute); see Retry-After"),
  503: error('Postgres or Redis is unreachable; nothing was changed; see Retry-After'),
};
const taskParams = z.object({ id: taskIdSchema });
const idempotencyHeader = z.object({
  'idempotency-key': idempotencyKeySchema
    .optional()
    .meta({ description: 'Same as the body\'s idempotency_key (for a batch: item i gets "<key>:<i>" unless it has its own); differing from it is a 400' }),
});
const scheduleParams = z.object({ id: scheduleIdSchema });

/**
 * The schema as a named component (/components/schemas/<id>). zod's own registry holds the
 * name and refuses a name twice, which is why the document is built once per process.
 */
const named = <T extends z.ZodType>(id: string, schema: T, description?: string): T => schema.meta({ id, ...(description ? { description } : {}) });

function routes(): RouteConfig[] {
  const taskView = named('TaskView', taskViewSchema);
  const submitted = named('Submitted', submitTaskResponseSchema);
  // One submission per catalog task: the task's own payload schema, not just "an object".
  const submission = z.union(
    TASK_NAMES.map((name) =>
      named(`Submit_${name}`, taskSubmissionSchema.extend({ task: z.literal(name), payload: TASK_CATALOG[name].payload }), TASK_CATALOG[name].description),
    ),
  );
  const results = z.union(TASK_NAMES.map((name) => named(`Result_${name}`, TASK_CATALOG[name].result)));
  const tag = (tags: string[], route: Omit<RouteConfig, 'tags'>): RouteConfig => ({ ...route, tags, responses: { ...COMMON_ERRORS, ...route.responses } });
  // GET /tasks/{id} and its alias /jobs/{id}/status answer the same.
  const readTask = {
    method: 'get',
    request: { params: taskParams },
    responses: { 200: json(taskView, 'The task'), 404: error('No such task for this tenant') },
  } as const;
  const tasks = ['tasks'];
  const schedules = ['schedules'];
  return [
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks',
      summary: 'Submit a task',
      description: 'Answers at once with the task id. The same idempotency_key from the same tenant returns the same task (200).',
      request: { headers: idempotencyHeader, body: { content: { 'application/json': { schema: submission } } } },
      responses: {
        202: json(submitted, 'Accepted and queued'),
        200: json(submitted, 'An earlier task with this idempotency_key'),
        400: error('Invalid body or payload: the message names each field'),
        409: error('The idempotency_key was used with another payload; the message names that task'),
        413: error('Body over the limit'),
      },
    }),
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks/batch',
      summary: `Submit up to ${MAX_BATCH} tasks at once`,
      description: 'Validated as a whole: one bad item makes a 400 naming tasks.<index>, and nothing is submitted.',
      request: {
        headers: idempotencyHeader,
        body: { content: { 'application/json': { schema: z.object({ tasks: z.array(submission).min(1).max(MAX_BATCH) }) } } },
      },
      responses: {
        202: json(
          z.object({
            count: z.number().int(),
            created: z.number().int(),
            tasks: z.array(z.object({ task_id: z.uuid(), status: z.string(), created: z.boolean() })),
          }),
          'Accepted and queued, in order; created is false for an earlier task with the same idempotency_key',
        ),
        400: error('Invalid item (named by index)'),
        413: error('Body over the batch limit'),
      },
    }),
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks/test',
      summary: 'Submit test_task with a message',
      request: { query: testTaskQuerySchema },
      responses: { 202: json(submitted, 'Accepted and queued'), 400: error('Invalid query') },
    }),
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
    tag(tasks, { ...readTask, path: '/api/v1/tasks/{id}', summary: "A task's status, progress and attempts" }),
    tag(tasks, {
      method: 'get',
      path: '/api/v1/tasks/{id}/result',
      summary: "A task's result, or its error",
      request: { params: taskParams },
      responses: {
        200: json(
          z.object({ task_id: z.uuid(), status: z.string(), result: results.optional(), error: taskErrorSchema.optional() }),
          'The result (SUCCESS), the error (FAILURE) or neither yet',
        ),
        404: error('No such task for this tenant'),
      },
    }),
    tag(tasks, {
      method: 'get',
      path: '/api/v1/tasks/{id}/events',
      summary: 'Server-sent events of every state and progress change until the task ends',
      description:
        'Each `state` event carries a TaskEvent as JSON ({task_id, status, progress, message, attempts, at}); the last, `end`, carries the same fields plus `result` (SUCCESS) and `error` (FAILURE, REVOKED), read from Postgres, and closes the stream. A client that connects after the end gets only the `end` event. Changes arrive as workers commit them; if a live message is lost, a re-read of the task every 2 s catches up, and the states in between are seen as the latest one.',
      request: { params: taskParams },
      responses: {
        200: { description: 'text/event-stream of TaskEvent', content: { 'text/event-stream': { schema: taskEventSchema } } },
        404: error('No such task for this tenant'),
        429: error('Too many streams open for this tenant or this API process (or past the rate limit); see Retry-After'),
      },
    }),
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
    tag(tasks, { ...readTask, path: '/api/v1/jobs/{id}/status', summary: 'Alias of GET /api/v1/tasks/{id}' }),
    tag(schedules, {
      method: 'post',
      path: '/api/v1/schedules',
      summary: 'Create a one-shot, cron or RRULE schedule',
      request: { body: { content: { 'application/json': { schema: createScheduleBodySchema } } } },
      responses: {
        201: object('The schedule with its next fire times'),
        400: error(
          'Invalid schedule, payload or timezone; a rule that fires too rarely or never to be found within the expansion bounds, or that cannot be expanded safely; a date outside 1970-2999; or more frequent than the plan allows, over the whole rule',
        ),
      },
    }),
    tag(schedules, {
      method: 'get',
      path: '/api/v1/schedules',
      summary: "The tenant's schedules, by name, cursor-paged",
      request: { query: listSchedulesQuerySchema },
      responses: {
        200: json(z.object({ schedules: z.array(z.object({}).catchall(z.unknown())), next_cursor: z.string().nullable() }), 'A page of schedules'),
        400: error('Invalid query or cursor'),
      },
    }),
    tag(schedules, {
      method: 'get',
      path: '/api/v1/schedules/{id}',
      summary: 'A schedule',
      request: { params: scheduleParams },
      responses: { 200: object('The schedule'), 404: error('No such schedule for this tenant') },
    }),
    tag(schedules, {
      method: 'patch',
      path: '/api/v1/schedules/{id}',
      summary: 'Change a schedule; a new recurrence replaces the old one whole',
      request: { params: scheduleParams, body: { content: { 'application/json': { schema: patchScheduleBodySchema } } } },
      responses: { 200: object('The schedule'), 400: error('Invalid change'), 404: error('No such schedule for this tenant') },
    }),
    tag(schedules, {
      method: 'delete',
      path: '/api/v1/schedules/{id}',
      summary: 'Delete a schedule',
      request: { params: scheduleParams },
      responses: { 204: { description: 'Deleted' }, 404: error('No such schedule for this tenant') },
    }),
    tag(schedules, {
      method: 'post',
      path: '/api/v1/schedules/{id}/enable',
      summary: 'Enable a schedule',
      request: { params: scheduleParams },
      responses: { 200: object('The schedule'), 404: error('No such schedule for this tenant') },
    }),
    tag(schedules, {
      method: 'post',
      path: '/api/v1/schedules/{id}/disable',
      summary: 'Disable a schedule',
      request: { params: scheduleParams },
      responses: { 200: object('The schedule'), 404: error('No such schedule for this tenant') },
    }),
    tag(schedules, {
      method: 'post',
      path: '/api/v1/schedules/{id}/trigger',
      summary: 'Fire a schedule once, now',
      request: { params: scheduleParams },
      responses: { 202: json(submitted, 'The task it submitted'), 404: error('No such schedule for this tenant') },
    }),
    tag(['tasks'], {
      method: 'get',
      path: '/api/v1/task-types',
      summary: 'Every task this deployment offers: queue, payload and result JSON Schemas, policy',
      responses: { 200: object('{task_types: [{name, queue, description, payload_schema, result_schema, policy}]}') },
    }),
    tag(['usage'], {
      method: 'get',
      path: '/api/v1/usage',
      summary: "This billing period's LLM spend: total, by action, reserved, remaining, cap",
      responses: { 200: object('Usage') },
    }),
    tag(['admin'], {
      method: 'get',
      path: '/api/v1/admin/dead-letters',
      summary: 'Tasks that failed for good, across tenants (admin key)',
      request: { query: listDeadLettersQuerySchema },
      responses: { 200: object('A page of dead letters'), 403: error('Not an admin key') },
    }),
    tag(['admin'], {
      method: 'post',
      path: '/api/v1/admin/dead-letters/replay',
      summary: 'Replay dead letters: some, a filter, or all (admin key)',
      request: { body: { content: { 'application/json': { schema: replayDeadLettersBodySchema } } } },
      responses: {
        202: json(z.object({ replayed: z.number().int(), task_ids: z.array(z.uuid()), enqueued: z.boolean() }), 'Replayed'),
        400: error('Invalid body'),
        403: error('Not an admin key'),
      },
    }),
  ];
}

type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;
let built: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document of the API (built on first use, then kept). */
export function openApiDocument(): OpenApiDocument {
  built ??= build();
  return built;
}

function build(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key, or an admin key for /admin routes',
  });
  for (const route of routes()) registry.registerPath({ ...route, security: [{ apiKey: [] }] });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Conveyor API',
      version: '1',
      description:
        'Background tasks for LLM-heavy products: submit, follow, cancel and schedule tasks. Errors are `{error, message, issues?}` with a message a person can act on.',
    },
  });
}
