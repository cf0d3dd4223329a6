import { z } from 'zod';
import { TASK_STATUSES } from './task-status';

/** Body of POST /api/v1/tasks. The payload is checked against the task's own schema after this. */
export const submitTaskBodySchema = z
  .object({
    task: z.string().min(1).max(100),
    payload: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type SubmitTaskBody = z.infer<typeof submitTaskBodySchema>;

/** Query of POST /api/v1/tasks/test */
export const testTaskQuerySchema = z.object({
  message: z.string().min(1).max(1000).default('Hello'),
});

export const taskIdSchema = z.uuid({ error: 'a task id is a UUID' });

export const submitTaskResponseSchema = z.object({
  task_id: z.uuid(),
  status: z.literal('PENDING'),
  message: z.string(),
});

/** GET /api/v1/tasks/{id} */
export const taskViewSchema = z.object({
  task_id: z.uuid(),
  task: z.string(),
  status: z.enum(TASK_STATUSES),
  progress: z.number().int().min(0).max(100),
  message: z.string().nullable(),
  attempts: z.number().int().min(0),
  created_at: z.iso.datetime(),
  started_at: z.iso.datetime().nullable(),
  finished_at: z.iso.datetime().nullable(),
});
export type TaskView = z.infer<typeof taskViewSchema>;

/** The error a failed task reports. */
export const taskErrorSchema = z.object({
  type: z.string(),
  message: z.string(),
});
export type TaskError = z.infer<typeof taskErrorSchema>;

/** Every error the API answers with. */
export const apiErrorSchema = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ApiError = z.infer<typeof apiErrorSchema>;
