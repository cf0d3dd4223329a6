import type {
  ConsoleSessionView,
  DeadLetterGroupsView,
  PatchScheduleBody,
  QueueName,
  QueueView,
  QueueWindow,
  QueuesResponse,
  ScheduleView,
  TaskLogsPage,
  TenantDeadLetterPage,
  TenantDeadLetterView,
  TenantList,
  WorkerView,
  WorkersResponse,
  BudgetAlertDeliveriesView,
  BudgetAlertEvent,
  BudgetAlertView,
  TaskError,
  TaskEvent,
  TaskLogLine,
  TaskName,
  TaskPayload,
  TaskPayloadInput,
  TaskResult,
  TaskStatus,
  TaskView,
  LlmTaskName,
  UsageCheckView,
  UsageGroup,
  UsageGroupBy,
  UsagePeriodsView,
  UsageView,
} from '@conveyor/contracts';

// The API's own views keep its field names (snake_case); what this client builds around them
// (submission receipts, pages, tokens, per-call options) is camelCase. Types only: nothing here
// exists at run time, so the built client requires nothing from @conveyor/contracts.

export type { TaskError, TaskEvent, TaskLogLine, TaskName, TaskPayload, TaskPayloadInput, TaskResult, TaskStatus, TaskView };
/** GET /usage (one billing period's LLM spend, `groups` with groupBy) and GET /usage/periods: the API's own schemas. */
export type { UsageView, UsageGroup, UsageGroupBy, UsagePeriodsView };
/** GET /usage/check: whether one more call of an LLM task (LlmTaskName) fits this period's budget and the plan's per-action limit. */
export type { UsageCheckView, LlmTaskName };
/** The budget alert webhook, its deliveries, and the body the webhook receives. */
export type { BudgetAlertView, BudgetAlertDeliveriesView, BudgetAlertEvent };

/** usage.get(): which period (current by default; previous; or a period's start date YYYY-MM-DD) and how to group it. */
export interface UsageOptions {
  period?: 'current' | 'previous' | string;
  groupBy?: UsageGroupBy;
}

/** budgetAlerts.put(): where to post, and at which percentages of the cap (50, 80, 100 when left out). */
export interface BudgetAlertInput {
  url: string;
  thresholds?: number[];
}

/**
 * A task as tasks.get() and tasks.wait() return it: the API's task view with its payload and
 * attempt history, plus `result` (SUCCESS) and `error` (FAILURE, REVOKED), null otherwise.
 * Without a type argument it is a union discriminated by `task`.
 */
export type Task<N extends TaskName = TaskName> = N extends TaskName
  ? Omit<TaskView, 'task' | 'payload'> & { task: N; payload?: TaskPayload<N>; result: TaskResult<N> | null; error: TaskError | null }
  : never;

/** Options of one submission; sent as the body's delay_ms, priority, tags and metadata and the Idempotency-Key header. */
export interface SubmitOptions {
  /** The same key from the same tenant returns the first task instead of making another. Generated when absent, so a retried request never makes two. */
  idempotencyKey?: string;
  /** Milliseconds before the task may start (at most 30 days). */
  delayMs?: number;
  /** 1 runs first, larger numbers later; absent: after every prioritised task. */
  priority?: number;
  /** Up to 10 labels. */
  tags?: string[];
  /** A JSON object kept with the task. */
  metadata?: Record<string, unknown>;
}

/** What a submission answered: the task's id, its status, and false when an idempotency key returned an earlier task. */
export interface Submitted {
  id: string;
  status: TaskStatus;
  created: boolean;
}

/** One item of tasks.submitBatch(): its payload is checked against its own task. */
export type BatchItem = { [N in TaskName]: { task: N; payload: TaskPayloadInput<N> } & SubmitOptions }[TaskName];

export interface BatchSubmitted {
  count: number;
  /** How many are new (the others returned earlier tasks by their idempotency keys). */
  created: number;
  tasks: Submitted[];
}

/** GET /tasks/{id}/result, with both fields present: `result` once SUCCESS, `error` once FAILURE or REVOKED, else null. */
export interface TaskResultView<N extends TaskName = TaskName> {
  task_id: string;
  status: TaskStatus;
  result: TaskResult<N> | null;
  error: TaskError | null;
}

/** A state or progress change of a task, from its live events. */
export interface TaskStateEvent extends TaskEvent {
  type: 'state';
  /** The server's id of this event (sent back as Last-Event-ID on a reconnect). */
  eventId: string | null;
}

/** The last live event: the final state, with the result (SUCCESS) or the error (FAILURE, REVOKED). */
export interface TaskEndEvent<N extends TaskName = TaskName> extends TaskEvent {
  type: 'end';
  eventId: string | null;
  result: TaskResult<N> | null;
  error: TaskError | null;
}

export type TaskStreamEvent<N extends TaskName = TaskName> = TaskStateEvent | TaskEndEvent<N>;

/** A line the task's handler wrote (ctx.log), as subscribe(id, { logs: true }) yields it. */
export interface TaskLogStreamEvent extends TaskLogLine {
  type: 'log';
  task_id: string;
  eventId: string | null;
}

export interface TaskListFilter {
  /** One status or several. */
  status?: TaskStatus | TaskStatus[];
  task?: TaskName;
  queue?: QueueName;
  scheduleId?: string;
  /** The payload's campaign_id. */
  campaignId?: string;
  /** A task must carry every one. */
  tags?: string[];
  /** Created at or after this instant (a Date or an ISO string). */
  createdAfter?: Date | string;
  /** Created before this instant. */
  createdBefore?: Date | string;
  /** Tasks per page, 1 to 200 (the API's default: 50). */
  limit?: number;
}

/** A page of GET /tasks/{id}/logs. */
export interface TaskLogPage {
  logs: TaskLogLine[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface TaskPage {
  tasks: TaskView[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** POST /tasks/{id}/cancel. */
export interface CancelAnswer {
  task_id: string;
  status: 'REVOKED';
  message: string;
}

/** POST /tasks/{id}/retry: `enqueued` false means Redis could not take it now and the reconciler will. */
export interface RetryAnswer {
  task_id: string;
  status: 'PENDING';
  enqueued: boolean;
  message: string;
}

/** A read-only token for one task, for a browser (EventSource cannot send an API key). */
export interface TaskToken {
  token: string;
  taskId: string;
  expiresAt: string;
  /** Path and query of the task's live events with this token: `/api/v1/tasks/{id}/events?token=…`. */
  eventsUrl: string;
}

type MisfirePolicy = 'skip' | 'fire_once' | 'fire_all';
type Recurrence =
  | { kind: 'one_shot'; /** The instant, with its offset. */ run_at: string }
  | { kind: 'cron'; /** 5 fields, or 6 with seconds, read in `timezone`. */ cron: string }
  | { kind: 'rrule'; /** An RFC 5545 RRULE. */ rrule: string; /** Local wall time of the first occurrence, read in `timezone`. */ dtstart: string };

/** Body of schedules.create(), the API's fields; the payload is checked against its task. */
export type ScheduleInput<N extends TaskName = TaskName> = N extends TaskName
  ? Recurrence & {
      name: string;
      task: N;
      payload?: TaskPayloadInput<N>;
      /** IANA name (default UTC). */
      timezone?: string;
      misfire_policy?: MisfirePolicy;
      end_at?: string | null;
      enabled?: boolean;
    }
  : never;

/** Body of schedules.update(): any field; a new `kind` replaces the recurrence whole. */
export type ScheduleChange = PatchScheduleBody;

/** A schedule as the API shows it, with its next fire times. */
export type { ScheduleView };

export interface SchedulePage {
  schedules: ScheduleView[];
  nextCursor: string | null;
}

/** One entry of GET /task-types: a task this deployment offers, with JSON Schemas and its policy here. */
export interface TaskTypeView {
  name: TaskName;
  queue: string;
  description: string;
  payload_schema: Record<string, unknown>;
  result_schema: Record<string, unknown>;
  policy: {
    attempts: number;
    max_lost_attempts: number;
    backoff: { base_ms: number; max_ms: number };
    soft_timeout_ms: number;
    hard_timeout_ms: number;
    retention_ms: number;
  };
}

/** A task that failed for good, across tenants (admin key). */
export interface DeadLetterView {
  task_id: string;
  tenant_id: string;
  task: string;
  queue: string;
  error: TaskError | null;
  attempts: number;
  failed_at: string;
  /** When the tenant discarded it; null while it is open. */
  acknowledged_at: string | null;
}

export interface DeadLetterFilter {
  task?: TaskName;
  tenantId?: string;
  limit?: number;
}

export interface DeadLetterPage {
  deadLetters: DeadLetterView[];
  nextCursor: string | null;
}

/** Which dead letters to replay: some by id, those matching a filter, or all of them (explicitly). */
export type ReplaySelection = { taskIds: string[] } | { filter: { task?: TaskName; tenantId?: string; failedAfter?: string } } | { all: true };

export interface ReplayAnswer {
  replayed: number;
  task_ids: string[];
  /** False: Redis could not take them now; the reconciler will enqueue them. */
  enqueued: boolean;
}

/** A console session (conveyor.auth): who it speaks for (`kind` tenant or admin) and when it ends unless used. */
export type ConsoleSession = ConsoleSessionView;
/** One of the tenant's own dead letters: its error and the code it is grouped by, and its task's payload. */
export type OwnDeadLetterView = TenantDeadLetterView;

export interface OwnDeadLetterFilter {
  task?: TaskName;
  /** The error's code, or its type when it has none (as groups() shows it). */
  errorCode?: string;
  limit?: number;
}

export interface OwnDeadLetterPage {
  deadLetters: OwnDeadLetterView[];
  nextCursor: string | null;
}

/** One entry of GET /dead-letters/groups: the tenant's open dead letters of one task and error code. */
export type DeadLetterGroup = DeadLetterGroupsView['groups'][number];

/** Which of the tenant's dead letters to replay: some by id, or all (narrowed by task and error code). */
export type OwnReplaySelection = { taskIds: string[] } | { all: true; task?: TaskName; errorCode?: string };

export interface OwnReplayAnswer extends ReplayAnswer {
  /** Ids asked for that are not an open dead letter of the tenant. */
  not_replayed: string[];
}

export interface ReplayOneAnswer {
  task_id: string;
  status: 'PENDING';
  enqueued: boolean;
  message: string;
}

export type { QueueWindow, QueuesResponse, QueueView, WorkerView, WorkersResponse };
/** The API's own pages and lists as they are sent (snake_case), for callers that read the HTTP API themselves (the console). */
export type { TaskLogsPage, TenantDeadLetterPage, TenantList };
