import { z } from 'zod';
import { taskStatusSchema } from './task-status';

/** A change of a task's state or progress, as published to live listeners (SSE). */
export const taskEventSchema = z.object({
  task_id: z.uuid(),
  status: taskStatusSchema,
  progress: z.number().int().min(0).max(100),
  message: z.string().nullable(),
  attempts: z.number().int().min(0),
  at: z.iso.datetime(),
});
export type TaskEvent = z.infer<typeof taskEventSchema>;
