import { z } from 'zod';
import { QUEUE_NAMES } from './queues';
import { REQUEUE_KINDS, taskOriginSchema } from './task-runs';
import { TASK_STATUSES, attemptOutcomeSchema, taskStatusSchema } from './task-status';

const MAX_DELAY_MS = 30 * 24 * 3_600_000;

/** An idempotency key, in the body's idempotency_key or the Idempotency-Key header. */
export const idempotencyKeySchema = z.string().min(1).max(200);

/** A tag a client attaches to a task to find it again: `campaign:spring`, `env=prod`. */
export const taskTagSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:=/-]+$/, { error: 'a tag is 1 to 64 letters, digits and _ . : = / -' });

export const MAX_TAGS = 10;
const MAX_METADATA_BYTES = 4096;

/** The submitter's own JSON object, kept with the task and shown with it; Conveyor never reads it. */
export const taskMetadataSchema = z
  .record(z.string().max(100), z.unknown())
  .refine((value) => Object.keys(value).length <= 50, { error: 'metadata holds at most 50 keys' })
  .refine((value) => new TextEncoder().encode(JSON.stringify(value)).length <= MAX_METADATA_BYTES, {
    error: `metadata is at most ${MAX_METADATA_BYTES} bytes of JSON; keep large data in the payload or your own store`,
  });

/** One task as a client submits it; the payload is checked against the task's own schema after this. */
export const taskSubmissionSchema = z
  .object({
    task: z.string().min(1).max(100),
    payload: z.record(z.string(), z.unknown()).default({}),
    /** The same key from the same tenant returns the same task instead of a new one. */
    idempotency_key: idempotencyKeySchema.optional(),
    /** Milliseconds to wait before the task may start (at most 30 days). */
    delay_ms: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
    /** 1 runs first, larger numbers later; absent means after every prioritised task. */
    priority: z.number().int().min(1).max(1000).optional(),
    /** Up to 10 distinct tags, shown with the task. */
    tags: z
      .array(taskTagSchema)
      .max(MAX_TAGS, { error: `at most ${MAX_TAGS} tags` })
      .refine((tags) => new Set(tags).size === tags.length, { error: 'a tag appears twice' })
      .optional(),
    metadata: taskMetadataSchema.optional(),
  })
  .strict();
export type TaskSubmission = z.infer<typeof taskSubmissionSchema>;

/**
 * Body of POST /api/v1/tasks: one submission, named after its endpoint.
 * @alias
 */
export const submitTaskBodySchema = taskSubmissionSchema;
export type SubmitTaskBody = TaskSubmission;

export const MAX_BATCH = 1000;

/** Body of POST /api/v1/tasks/batch. */
export const submitBatchBodySchema = z
  .object({
    tasks: z
      .array(taskSubmissionSchema)
      .min(1)
      .max(MAX_BATCH, { error: `at most ${MAX_BATCH} tasks per batch` }),
  })
  .strict();

/** Query of POST /api/v1/tasks/test */
export const testTaskQuerySchema = z
  .object({
    message: z.string().min(1).max(1000).default('Hello'),
  })
  .strict();

export const taskIdSchema = z.uuid({ error: 'a task id is a UUID' });

/**
 * A list of statuses in a query: `status=SUCCESS,FAILURE`, `status=success&status=failure`,
 * or one; any case.
 */
export const statusListSchema = z
  .preprocess(
    (value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((v: unknown) => (typeof v === 'string' ? v.split(',') : [v]))
        .map((v: unknown) => (typeof v === 'string' ? v.trim().toUpperCase() : v)),
    z.array(taskStatusSchema).min(1).max(20),
  )
  .meta({ description: `One or more of ${TASK_STATUSES.join(', ')} (any case), comma-separated or repeated` });

/**
 * Tags in a query: `tag=a,b`, `tag=a&tag=b`, or one; a task must carry every one given.
 */
const tagListSchema = z
  .preprocess(
    (value) => (Array.isArray(value) ? value : [value]).flatMap((v: unknown) => (typeof v === 'string' ? v.split(',').map((t) => t.trim()) : [v])),
    z.array(taskTagSchema).min(1).max(MAX_TAGS),
  )
  .meta({ description: `Up to ${MAX_TAGS} tags, comma-separated or repeated; a task must carry every one` });

/**
 * An instant in a query: an ISO-8601 date-time with a zone (Z or ±hh:mm), or a date (midnight
 * UTC), in the years 1970–2999 (Postgres has no year 0, and no task is older than 1970).
 */
const queryInstantSchema = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'an ISO-8601 date-time with a zone (2026-12-05T10:00:00Z) or a date (2026-12-05)' })
  .transform((text) => new Date(text))
  .refine((date) => date.getUTCFullYear() >= 1970 && date.getUTCFullYear() <= 2999, { error: 'an instant in the years 1970–2999' })
  .transform((date) => date.toISOString());

/** Query of GET /api/v1/tasks */
export const listTasksQuerySchema = z
  .object({
    status: statusListSchema.optional(),
    task: z.string().min(1).max(100).optional(),
    queue: z.enum(QUEUE_NAMES, { error: `a queue is one of ${QUEUE_NAMES.join(', ')}` }).optional(),
    schedule_id: z.uuid({ error: 'a schedule id is a UUID' }).optional(),
    campaign_id: z.string().min(1).max(200).optional().meta({ description: "The payload's campaign_id (the LLM tasks carry one)" }),
    tag: tagListSchema.optional(),
    created_after: queryInstantSchema.optional().meta({ description: 'Only tasks created at or after this instant (ISO-8601)' }),
    created_before: queryInstantSchema.optional().meta({ description: 'Only tasks created before this instant (ISO-8601)' }),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict()
  .refine((q) => q.created_after === undefined || q.created_before === undefined || q.created_after < q.created_before, {
    error: 'created_after must be before created_before',
    path: ['created_after'],
  });

export const submitTaskResponseSchema = z.object({
  task_id: z.uuid(),
  status: taskStatusSchema,
  message: z.string(),
});

export const attemptViewSchema = z.object({
  attempt: z.number().int(),
  started_at: z.iso.datetime(),
  finished_at: z.iso.datetime().nullable(),
  outcome: attemptOutcomeSchema,
  error: z.object({ type: z.string(), message: z.string() }).nullable(),
  /** The instance id of the worker that ran the attempt (null when not recorded: attempts from before it was). */
  worker: z.string().nullable(),
  /** Milliseconds from its start to its end; null while it runs. */
  duration_ms: z.number().int().min(0).nullable(),
  /** What the attempt's LLM calls cost, in USD (0 for none). */
  cost_usd: z.number(),
});

/** GET /api/v1/tasks/{id} */
export const taskViewSchema = z.object({
  task_id: z.uuid(),
  task: z.string(),
  status: taskStatusSchema,
  progress: z.number().int().min(0).max(100),
  message: z.string().nullable(),
  attempts: z.number().int().min(0),
  max_attempts: z.number().int().min(1),
  priority: z.number().int().nullable(),
  created_at: z.iso.datetime(),
  run_at: z.iso.datetime().nullable(),
  started_at: z.iso.datetime().nullable(),
  finished_at: z.iso.datetime().nullable(),
  next_attempt_at: z.iso.datetime().nullable(),
  /** The schedule that fired this task, or null for a task submitted directly. */
  schedule_id: z.uuid().nullable(),
  /** The queue the task runs on. */
  queue: z.enum(QUEUE_NAMES),
  /** How the task came to be (set at insert). */
  origin: taskOriginSchema,
  /** The tags given at submission ([] for none). */
  tags: z.array(z.string()),
  /** The metadata given at submission, or null. */
  metadata: z.record(z.string(), z.unknown()).nullable(),
  /** The payload the task was submitted with (only on the single-task read). */
  payload: z.record(z.string(), z.unknown()).optional(),
  /** Every attempt so far (only on the single-task read). */
  attempt_history: z.array(attemptViewSchema).optional(),
  /** The instance id of the latest attempt's worker, or null before the first (only on the single-task read). */
  worker: z.string().nullable().optional(),
  /** What the task's LLM calls cost in all, in USD (only on the single-task read). */
  cost_usd: z.number().optional(),
  /** Whether a failed task was put back in place, and how: a dead-letter replay or a retry; null if never (only on the single-task read). */
  requeued_by: z.enum(REQUEUE_KINDS).nullable().optional(),
});
export type TaskView = z.infer<typeof taskViewSchema>;

/** Seconds a task token lives: by default 15 minutes, at least 30 s, at most a day. */
export const TASK_TOKEN_TTL = { min: 30, max: 86_400, default: 900 } as const;

/** Body of POST /api/v1/tasks/{id}/tokens (optional: `{}` or none gives the default lifetime). */
export const createTaskTokenBodySchema = z
  .object({
    ttl_seconds: z
      .number()
      .int()
      .min(TASK_TOKEN_TTL.min)
      .max(TASK_TOKEN_TTL.max)
      .default(TASK_TOKEN_TTL.default)
      .meta({ description: `Seconds the token stays valid (${TASK_TOKEN_TTL.min} to ${TASK_TOKEN_TTL.max}, default ${TASK_TOKEN_TTL.default})` }),
  })
  .strict();

/** 201 answer of POST /api/v1/tasks/{id}/tokens. */
export const taskTokenSchema = z.object({
  /** `cvt_...`: shown only here; only its hash is stored. */
  token: z.string().meta({ description: 'cvt_...; shown only in this answer (only its hash is stored)' }),
  task_id: z.uuid(),
  expires_at: z.iso.datetime(),
  /** Where a browser points EventSource: `/api/v1/tasks/{id}/events?token=<token>`. */
  events_url: z.string().meta({ description: 'The events stream with the token in its query, for EventSource: /api/v1/tasks/{id}/events?token=<token>' }),
});
export type TaskToken = z.infer<typeof taskTokenSchema>;

/**
 * Query of GET /api/v1/tasks/{id}, /result and /events: a task token instead of the
 * Authorization header, for a browser (EventSource cannot send headers).
 */
export const taskTokenQuerySchema = z
  .object({
    token: z.string().max(200).optional().meta({
      description:
        'A task token (cvt_...) from POST /api/v1/tasks/{id}/tokens, instead of an API key: it reads only that task, only on these GET routes, until it expires. Never an API key.',
    }),
  })
  .strict();

/** The error a failed task reports. */
export const taskErrorSchema = z.object({
  type: z.string(),
  message: z.string(),
  /** A stable reason for permanent failures, e.g. PLAN_LIMIT_REACHED. */
  code: z.string().optional(),
});
export type TaskError = z.infer<typeof taskErrorSchema>;

/** Query of GET /api/v1/admin/dead-letters */
export const listDeadLettersQuerySchema = z
  .object({
    task: z.string().min(1).max(100).optional(),
    tenant_id: z.uuid().optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/**
 * Body of POST /api/v1/admin/dead-letters/replay: exactly one of task_ids, filter (with at
 * least one condition) or all: true. Replaying everything takes the explicit all: an empty
 * filter is refused rather than read as "no condition".
 */
export const replayDeadLettersBodySchema = z
  .object({
    task_ids: z.array(z.uuid()).min(1).max(1000).optional(),
    filter: z
      .object({ task: z.string().min(1).max(100).optional(), tenant_id: z.uuid().optional(), failed_after: z.iso.datetime().optional() })
      .strict()
      .refine((f) => f.task !== undefined || f.tenant_id !== undefined || f.failed_after !== undefined, {
        message: 'needs at least one of task, tenant_id or failed_after; to replay every dead letter send {"all": true}',
      })
      .optional(),
    all: z.literal(true, { error: 'must be true (send it only to replay every dead letter)' }).optional(),
  })
  .strict()
  .refine((b) => [b.task_ids, b.filter, b.all].filter((v) => v !== undefined).length === 1, {
    message: 'send exactly one of task_ids (a list of ids), filter ({task, tenant_id, failed_after}) or all: true',
  });
export type ReplayDeadLettersBody = z.infer<typeof replayDeadLettersBodySchema>;

/** Every error the API answers with (apps/api's error handler writes it); the descriptions are the OpenAPI document's. */
export const apiErrorSchema = z.object({
  error: z.string().meta({ description: 'A stable code a program can branch on, e.g. validation_failed, task_not_found' }),
  message: z.string().meta({ description: 'What went wrong and what to do about it, for a person' }),
  issues: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .optional()
    .meta({ description: 'Each invalid field of a 400: where it is (payload.brief, tasks.3.task) and what is wrong with it' }),
  request_id: z.string().meta({ description: "The request's X-Request-Id, which finds its log lines" }),
});
export type ApiError = z.infer<typeof apiErrorSchema>;
