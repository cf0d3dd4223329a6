import { listDeadLettersQuerySchema, replayDeadLettersBodySchema } from '@conveyor/contracts';
import { z } from 'zod';
import { type ApiRoute, body, error, json, object, tag } from './parts';

/** The task types on offer and the admin routes over dead letters (usage: usage.ts). */
export function catalogUsageAdminRoutes(): ApiRoute[] {
  return [
    tag(
      ['tasks'],
      {
        method: 'get',
        path: '/api/v1/task-types',
        operationId: 'listTaskTypes',
        summary: 'Every task this deployment offers: queue, payload and result JSON Schemas, policy',
        responses: { 200: object('{task_types: [{name, queue, description, payload_schema, result_schema, policy}]}') },
      },
      'any',
    ),
    tag(
      ['admin'],
      {
        method: 'get',
        path: '/api/v1/admin/dead-letters',
        operationId: 'listDeadLetters',
        summary: 'Tasks that failed for good, across tenants (admin key)',
        request: { query: listDeadLettersQuerySchema },
        responses: { 200: object('A page of dead letters') },
      },
      'admin',
    ),
    tag(
      ['admin'],
      {
        method: 'post',
        path: '/api/v1/admin/dead-letters/replay',
        operationId: 'replayDeadLetters',
        summary: 'Replay dead letters: some, a filter, or all (admin key)',
        request: { body: body(replayDeadLettersBodySchema) },
        responses: {
          202: json(z.object({ replayed: z.number().int(), task_ids: z.array(z.uuid()), enqueued: z.boolean() }), 'Replayed'),
          400: error('Invalid body'),
        },
      },
      'admin',
    ),
  ];
}
