import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { createScheduleBodySchema, listSchedulesQuerySchema, patchScheduleBodySchema } from '@conveyor/contracts';
import { z } from 'zod';
import { type TaskSchemas, error, json, object, scheduleParams, tag } from './parts';

const schedules = ['schedules'];

/** Create, list, read, change and delete a schedule. */
function crudRoutes(): RouteConfig[] {
  return [
    tag(schedules, {
      method: 'post',
      path: '/api/v1/schedules',
      summary: 'Create a one-shot, cron or RRULE schedule',
      description:
        'A schedule of the task publish_post ({post_id}) schedules that post: it becomes scheduled at the next fire time (the earliest of its enabled schedules), and goes back to draft when its last schedule is deleted or disabled.',
      request: { body: { content: { 'application/json': { schema: createScheduleBodySchema } } } },
      responses: {
        201: object('The schedule with its next fire times'),
        400: error(
          'Invalid schedule, payload or timezone; a rule that fires too rarely or never to be found within the expansion bounds, or that cannot be expanded safely; a date outside 1970-2999; or more frequent than the plan allows, over the whole rule',
        ),
        404: error('A publish_post schedule whose payload.post_id names no post of this tenant'),
        409: error("The name is taken; or a publish_post schedule's post is past draft and scheduled"),
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
  ];
}

/** The schedule routes: the ones above, then enable, disable and trigger. */
export function scheduleRoutes({ submitted }: TaskSchemas): RouteConfig[] {
  return [
    ...crudRoutes(),
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
  ];
}
