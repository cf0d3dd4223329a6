import { z } from 'zod';

/**
 * What a BullMQ job carries: only the task id. The payload stays in Postgres, so Redis
 * never holds tenant data or anything secret, and the worker's claim reads it back.
 */
export const jobDataSchema = z.object({ task_id: z.uuid() }).strict();
export type JobData = z.infer<typeof jobDataSchema>;
