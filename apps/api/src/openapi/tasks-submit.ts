import { MAX_BATCH, taskStatusSchema, testTaskQuerySchema } from '@conveyor/contracts';
import { z } from 'zod';
import { type ApiRoute, type TaskSchemas, body, error, idempotencyHeader, json, retryLater, tag } from './parts';

/** The routes that submit tasks: one, a batch, and test_task. */
export function submitRoutes({ submitted, submission }: TaskSchemas): ApiRoute[] {
  const tasks = ['tasks'];
  return [
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks',
      operationId: 'submitTask',
      summary: 'Submit a task',
      description: 'Answers at once with the task id. The same idempotency_key from the same tenant returns the same task (200).',
      request: { headers: idempotencyHeader, body: body(submission) },
      responses: {
        202: json(submitted, 'Accepted and queued'),
        200: json(submitted, 'An earlier task with this idempotency_key'),
        400: error('Invalid body or payload: the message names each field'),
        409: error('The idempotency_key was used with another payload; the message names that task'),
        413: error('Body over the limit'),
        429: retryLater(
          'Past the rate limit, or (action_limit_reached) a task to run now calls a model whose per-action limit the plan has used up this period: the message names the limit and when the period ends; nothing was kept; see Retry-After',
        ),
      },
    }),
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks/batch',
      operationId: 'submitTaskBatch',
      summary: `Submit up to ${MAX_BATCH} tasks at once`,
      description: 'Validated as a whole: one bad item makes a 400 naming tasks.<index>, and nothing is submitted.',
      request: {
        headers: idempotencyHeader,
        body: body(z.object({ tasks: z.array(submission).min(1).max(MAX_BATCH) })),
      },
      responses: {
        202: json(
          z.object({
            count: z.number().int(),
            created: z.number().int(),
            tasks: z.array(z.object({ task_id: z.uuid(), status: taskStatusSchema, created: z.boolean() })),
          }),
          'Accepted and queued, in order; created is false for an earlier task with the same idempotency_key',
        ),
        400: error('Invalid item (named by index)'),
        413: error('Body over the batch limit'),
        429: retryLater(
          'Past the rate limit, or (action_limit_reached) a task to run now calls a model whose per-action limit the plan has used up this period: the message names the limit and when the period ends; nothing was kept; see Retry-After',
        ),
      },
    }),
    tag(tasks, {
      method: 'post',
      path: '/api/v1/tasks/test',
      operationId: 'submitTestTask',
      summary: 'Submit test_task with a message',
      request: { query: testTaskQuerySchema },
      responses: { 202: json(submitted, 'Accepted and queued'), 400: error('Invalid query') },
    }),
  ];
}
