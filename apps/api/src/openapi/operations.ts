import {
  deadLetterGroupsSchema,
  deadLetterPageSchema,
  queuesQuerySchema,
  queuesResponseSchema,
  replayOneBodySchema,
  replayOneResponseSchema,
  taskIdSchema,
  tenantDeadLettersQuerySchema,
  tenantReplayBodySchema,
  tenantReplayResponseSchema,
  workersResponseSchema,
} from '@conveyor/contracts';
import { z } from 'zod';
import { type ApiRoute, body, error, json, tag } from './parts';

const deadLetterParams = z.object({ task_id: taskIdSchema });
const notOpen = error("No open dead letter of this tenant for that task (unknown, another tenant's, replayed or discarded)");

/** The queues overview, the worker registry and a tenant's own dead letters. */
export function operationsRoutes(): ApiRoute[] {
  return [
    tag(
      ['queues'],
      {
        method: 'get',
        path: '/api/v1/queues',
        operationId: 'listQueues',
        summary: 'Each queue: tasks by status, the oldest waiting task, finished tasks over a window (an admin key: every tenant)',
        request: { query: queuesQuerySchema },
        responses: { 200: json(queuesResponseSchema, 'The queues'), 400: error('Invalid query') },
      },
      'any',
    ),
    tag(
      ['queues'],
      {
        method: 'get',
        path: '/api/v1/workers',
        operationId: 'listWorkers',
        summary: 'The live worker processes, from the registry they keep in Redis (admin key)',
        responses: { 200: json(workersResponseSchema, 'The workers') },
      },
      'admin',
    ),
    tag(['dead-letters'], {
      method: 'get',
      path: '/api/v1/dead-letters',
      operationId: 'listTenantDeadLetters',
      summary: "The tenant's open dead letters (tasks that failed for good), newest first; filter by task and error code",
      request: { query: tenantDeadLettersQuerySchema },
      responses: { 200: json(deadLetterPageSchema, 'A page of dead letters'), 400: error('Invalid query or cursor') },
    }),
    tag(['dead-letters'], {
      method: 'get',
      path: '/api/v1/dead-letters/groups',
      operationId: 'groupTenantDeadLetters',
      summary: "The tenant's open dead letters counted by task and error code, the largest group first",
      responses: { 200: json(deadLetterGroupsSchema, 'The groups') },
    }),
    tag(['dead-letters'], {
      method: 'post',
      path: '/api/v1/dead-letters/replay',
      operationId: 'replayTenantDeadLetters',
      summary: "Replay some of the tenant's dead letters ({task_ids}) or all of them ({all: true}, narrowed by task and error_code)",
      request: { body: body(tenantReplayBodySchema) },
      responses: { 202: json(tenantReplayResponseSchema, 'Replayed'), 400: error('Invalid body') },
    }),
    tag(['dead-letters'], {
      method: 'post',
      path: '/api/v1/dead-letters/{task_id}/replay',
      operationId: 'replayTenantDeadLetter',
      summary: "Replay one dead letter, optionally with an edited payload checked against the task's payload schema",
      request: { params: deadLetterParams, body: { required: false, content: { 'application/json': { schema: replayOneBodySchema } } } },
      responses: {
        202: json(replayOneResponseSchema, 'Replayed'),
        400: error('A malformed id, or a payload the task refuses (the issues name each field as payload.<field>)'),
        404: notOpen,
        409: error('The task is no longer offered by this deployment'),
      },
    }),
    tag(['dead-letters'], {
      method: 'delete',
      path: '/api/v1/dead-letters/{task_id}',
      operationId: 'discardTenantDeadLetter',
      summary: 'Discard (acknowledge) a dead letter: no longer listed or replayed in bulk; the task stays FAILURE',
      request: { params: deadLetterParams },
      responses: { 204: { description: 'Discarded' }, 404: notOpen },
    }),
  ];
}
