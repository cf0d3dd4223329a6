import { z } from 'zod';

/** Most task ids one envelope job may carry. */
export const ENVELOPE_MAX_SIZE = 500;

/**
 * What a task's own BullMQ job carries: only the task id. The payload stays in Postgres, so
 * Redis never holds tenant data or anything secret, and the worker's claim reads it back.
 * `suspect` marks a job split off an envelope that came back from a stall while this task was
 * running: like a job back from a stall itself, it runs alone (see AttemptGate).
 */
export const taskJobDataSchema = z.object({ task_id: z.uuid(), suspect: z.literal(true).optional() }).strict();

/**
 * What an envelope carries: the ids of tasks of one queue that arrived together (a batch),
 * with no delay and no priority. One job, many tasks: the worker claims and completes them by
 * group commit and runs each under its own concurrency limit.
 */
export const envelopeJobDataSchema = z.object({ task_ids: z.array(z.uuid()).min(1).max(ENVELOPE_MAX_SIZE) }).strict();

/** Any job of a task queue: one task's, or an envelope of several. */
export const jobDataSchema = z.union([taskJobDataSchema, envelopeJobDataSchema]);
export type JobData = z.infer<typeof jobDataSchema>;
