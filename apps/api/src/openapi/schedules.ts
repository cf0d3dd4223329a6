import { createScheduleBodySchema, listSchedulesQuerySchema, patchScheduleBodySchema, scheduleViewSchema } from '@conveyor/contracts';
import { z } from 'zod';
import { type ApiRoute, type TaskSchemas, body, error, json, scheduleParams, tag } from './parts';

const schedules = ['schedules'];
const view = scheduleViewSchema.meta({ id: 'Schedule' });
const notFound = error('No such schedule for this tenant');

/** Create, list, read, change and delete a schedule. */
function crudRoutes(): ApiRoute[] {
  return [
    tag(schedules, {
      method: 'post',
      path: '/api/v1/schedules',
      operationId: 'createSchedule',
      summary: 'Create a one-shot, cron or RRULE schedule',
      description:
        'A schedule of the task publish_post ({post_id}) schedules that post: it becomes scheduled at the next fire time (the earliest of its enabled schedules), and goes back to draft when its last schedule is deleted or disabled.',
      request: { body: body(createScheduleBodySchema) },
      responses: {
        201: json(view, 'The schedule with its next fire times'),
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
      operationId: 'listSchedules',
      summary: "The tenant's schedules, by name, cursor-paged",
      request: { query: listSchedulesQuerySchema },
      responses: {
        200: json(z.object({ schedules: z.array(view), next_cursor: z.string().nullable() }), 'A page of schedules'),
        400: error('Invalid query or cursor'),
      },
    }),
    tag(schedules, {
      method: 'get',
      path: '/api/v1/schedules/{id}',
      operationId: 'getSchedule',
      summary: 'A schedule',
      request: { params: scheduleParams },
      responses: { 200: json(view, 'The schedule'), 404: notFound },
    }),
    tag(schedules, {
      method: 'patch',
      path: '/api/v1/schedules/{id}',
      operationId: 'updateSchedule',
      summary: 'Change a schedule; a new recurrence replaces the old one whole',
      request: { params: scheduleParams, body: body(patchScheduleBodySchema) },
      responses: { 200: json(view, 'The schedule'), 400: error('Invalid change'), 404: notFound },
    }),
    tag(schedules, {
      method: 'delete',
      path: '/api/v1/schedules/{id}',
      operationId: 'deleteSchedule',
      summary: 'Delete a schedule',
      request: { params: scheduleParams },
      responses: { 204: { description: 'Deleted' }, 404: notFound },
    }),
  ];
}

/** The schedule routes: the ones above, then enable, disable and trigger. */
export function scheduleRoutes({ submitted }: TaskSchemas): ApiRoute[] {
  return [
    ...crudRoutes(),
    tag(schedules, {
      method: 'post',
      path: '/api/v1/schedules/{id}/enable',
      operationId: 'enableSchedule',
      summary: 'Enable a schedule',
      request: { params: scheduleParams },
      responses: { 200: json(view, 'The schedule'), 404: notFound },
    }),
    tag(schedules, {
      method: 'post',
      path: '/api/v1/schedules/{id}/disable',
      operationId: 'disableSchedule',
      summary: 'Disable a schedule',
      request: { params: scheduleParams },
      responses: { 200: json(view, 'The schedule'), 404: notFound },
    }),
    tag(schedules, {
      method: 'post',
      path: '/api/v1/schedules/{id}/trigger',
      operationId: 'triggerSchedule',
      summary: 'Fire a schedule once, now',
      request: { params: scheduleParams },
      responses: { 202: json(submitted, 'The task it submitted'), 404: notFound },
    }),
  ];
}
