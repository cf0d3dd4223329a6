import { z } from 'zod';

/**
 * How a task row came to be, set once when it is inserted: a single submission (`api`), an
 * item of a batch (`batch`), a schedule's fire (`schedule`), a chat message (`chat`), a post
 * published now (`publish`), a task a handler started (`follow_up`), or a copy made from a dead
 * letter (`replay`). Replaying or retrying a failed task in place does not change its origin:
 * the task view's `requeued_by` says that.
 */
export const TASK_ORIGINS = ['api', 'batch', 'schedule', 'chat', 'publish', 'follow_up', 'replay'] as const;
export type TaskOrigin = (typeof TASK_ORIGINS)[number];
export const taskOriginSchema = z.enum(TASK_ORIGINS);

/** What put a failed task back in the queue in place: a dead-letter replay or POST /tasks/{id}/retry. */
export const REQUEUE_KINDS = ['replay', 'retry'] as const;
export type RequeueKind = (typeof REQUEUE_KINDS)[number];

/** The levels of ctx.log, lowest first. */
export const TASK_LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type TaskLogLevel = (typeof TASK_LOG_LEVELS)[number];
export const taskLogLevelSchema = z.enum(TASK_LOG_LEVELS);

/** The caps of a task's log lines (ctx.log): past them lines are dropped, and one marker line says so. */
export const TASK_LOG_LIMITS = {
  /** Characters of a line's message; a longer one is cut. */
  messageChars: 2048,
  /** Bytes of a line's fields as JSON; larger fields are replaced by a note. */
  fieldsBytes: 8192,
  /** Lines a task keeps over all its attempts (the truncation marker comes on top). */
  linesPerTask: 1000,
} as const;

/** One line a handler wrote with ctx.log, as GET /tasks/{id}/logs and the `log` event show it. */
export const taskLogLineSchema = z.object({
  /** Ascending over the task's lines; the order they were written in. */
  seq: z.number().int(),
  at: z.iso.datetime(),
  attempt: z.number().int().min(1),
  level: taskLogLevelSchema,
  message: z.string(),
  fields: z.record(z.string(), z.unknown()).nullable(),
});
export type TaskLogLine = z.infer<typeof taskLogLineSchema>;

/** GET /api/v1/tasks/{id}/logs */
export const taskLogsPageSchema = z.object({
  logs: z.array(taskLogLineSchema),
  next_cursor: z.string().nullable(),
});
export type TaskLogsPage = z.infer<typeof taskLogsPageSchema>;

/** Query of GET /api/v1/tasks/{id}/logs */
export const taskLogsQuerySchema = z
  .object({
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .strict();

/** A log line as a worker publishes it to live listeners (the `log` SSE event). */
export const taskLogEventSchema = taskLogLineSchema.extend({ task_id: z.uuid(), kind: z.literal('log') });
export type TaskLogEvent = z.infer<typeof taskLogEventSchema>;
