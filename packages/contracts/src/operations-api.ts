import { z } from 'zod';
import { taskErrorSchema } from './api';
import { TASK_STATUSES } from './task-status';

// The operator's view over HTTP: queues (GET /api/v1/queues), the worker registry (GET
// /api/v1/workers) and a tenant's own dead letters (/api/v1/dead-letters).

/** The windows GET /api/v1/queues shows, each with its bucket size. */
export const QUEUE_WINDOWS = {
  '1h': { windowMs: 3_600_000, bucketMs: 300_000 },
  '6h': { windowMs: 21_600_000, bucketMs: 1_800_000 },
  '24h': { windowMs: 86_400_000, bucketMs: 3_600_000 },
} as const;
export type QueueWindow = keyof typeof QUEUE_WINDOWS;

/** Query of GET /api/v1/queues */
export const queuesQuerySchema = z
  .object({
    window: z
      .enum(Object.keys(QUEUE_WINDOWS) as [QueueWindow, ...QueueWindow[]])
      .default('1h')
      .meta({ description: 'How far back the series goes: 1h (5-minute buckets), 6h (30-minute) or 24h (hourly); default 1h' }),
  })
  .strict();

const countsSchema = z.object(
  Object.fromEntries(TASK_STATUSES.map((status) => [status, z.number().int().min(0)])) as Record<(typeof TASK_STATUSES)[number], z.ZodNumber>,
);

/** One queue in GET /api/v1/queues */
export const queueViewSchema = z.object({
  queue: z.string(),
  counts: countsSchema.meta({
    description: "Tasks by status that the table holds now (finished ones until their retention): the caller's tenant, or every tenant for an admin key",
  }),
  oldest_waiting_age_ms: z
    .number()
    .int()
    .min(0)
    .nullable()
    .meta({ description: 'How long the longest-waiting runnable task (PENDING past its run_at, RETRY past its next attempt) has waited, or null' }),
  series: z
    .array(z.object({ at: z.iso.datetime(), succeeded: z.number().int().min(0), failed: z.number().int().min(0) }))
    .meta({ description: 'Tasks that finished in each bucket of the window (bucket start `at`), oldest first, empty buckets included' }),
});
export const queuesResponseSchema = z.object({
  queues: z.array(queueViewSchema),
  window: z.enum(Object.keys(QUEUE_WINDOWS) as [QueueWindow, ...QueueWindow[]]),
  bucket_ms: z.number().int(),
  /** Where an admin sees the BullMQ side of the queues (jobs in Redis). */
  dashboard_url: z.string().meta({ description: 'The BullMQ dashboard of every queue (admin key, HTTP Basic auth): /admin/queues' }),
});
export type QueueView = z.infer<typeof queueViewSchema>;
export type QueuesResponse = z.infer<typeof queuesResponseSchema>;

/** One live worker process in GET /api/v1/workers */
export const workerViewSchema = z.object({
  instance: z.string(),
  queue: z.string(),
  concurrency: z.number().int(),
  active: z.number().int(),
  heartbeat_at: z.string(),
  started_at: z.string(),
  version: z.string(),
});
export const workersResponseSchema = z.object({ workers: z.array(workerViewSchema) });
export type WorkerView = z.infer<typeof workerViewSchema>;
export type WorkersResponse = z.infer<typeof workersResponseSchema>;

const errorCodeSchema = z
  .string()
  .min(1)
  .max(100)
  .meta({ description: "The error's code (e.g. PLAN_LIMIT_REACHED), or its type when it has none, as /dead-letters/groups shows it" });
const taskNameSchema = z.string().min(1).max(100);

/** Query of GET /api/v1/dead-letters */
export const tenantDeadLettersQuerySchema = z
  .object({
    task: taskNameSchema.optional(),
    error_code: errorCodeSchema.optional(),
    cursor: z.string().max(200).optional(),
    // Each item carries its task's payload: pages stay small.
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .strict();

/** One of a tenant's dead letters */
export const deadLetterViewSchema = z.object({
  task_id: z.uuid(),
  task: z.string(),
  queue: z.string(),
  error: taskErrorSchema,
  error_code: z.string(),
  attempts: z.number().int(),
  failed_at: z.iso.datetime(),
  payload: z.record(z.string(), z.unknown()).nullable(),
});
export const deadLetterPageSchema = z.object({ dead_letters: z.array(deadLetterViewSchema), next_cursor: z.string().nullable() });
export const deadLetterGroupsSchema = z.object({
  groups: z.array(z.object({ task: z.string(), error_code: z.string(), count: z.number().int(), last_failed_at: z.iso.datetime() })),
});
export type TenantDeadLetterView = z.infer<typeof deadLetterViewSchema>;
export type TenantDeadLetterPage = z.infer<typeof deadLetterPageSchema>;
export type DeadLetterGroupsView = z.infer<typeof deadLetterGroupsSchema>;

/**
 * Body of POST /api/v1/dead-letters/replay: `{task_ids}`, or `{all: true}` narrowed by task
 * and error_code. Replaying everything takes the explicit all, as on the admin route.
 */
export const tenantReplayBodySchema = z
  .object({
    task_ids: z
      .array(z.uuid({ error: 'a task id is a UUID' }))
      .min(1)
      .max(1000)
      .optional(),
    all: z.literal(true, { error: 'must be true (send it to replay every open dead letter, narrowed by task and error_code)' }).optional(),
    task: taskNameSchema.optional().meta({ description: 'With all: only dead letters of this task' }),
    error_code: errorCodeSchema.optional().meta({ description: 'With all: only dead letters with this error code' }),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.task_ids === undefined) === (b.all === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'send exactly one of task_ids (a list of ids) or all: true (narrowed by task and error_code)' });
    } else if (b.task_ids !== undefined) {
      for (const key of ['task', 'error_code'] as const) {
        if (b[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'narrows all: true only; with task_ids, name just the tasks to replay' });
      }
    }
  });
export const tenantReplayResponseSchema = z.object({
  replayed: z.number().int(),
  task_ids: z.array(z.uuid()),
  /** Ids asked for by task_ids that are not an open dead letter of the tenant (unknown, another tenant's, replayed or discarded). */
  not_replayed: z.array(z.uuid()),
  enqueued: z.boolean(),
});

/** Body of POST /api/v1/dead-letters/{task_id}/replay (optional): an edited payload, checked against the task's contract. */
export const replayOneBodySchema = z
  .object({
    payload: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "A new payload for the task, instead of the one it failed with; checked against the task's payload schema" }),
  })
  .strict();
export const replayOneResponseSchema = z.object({ task_id: z.uuid(), status: z.literal('PENDING'), enqueued: z.boolean(), message: z.string() });
