import type { Transport } from './http';
import { newIdempotencyKey } from './idempotency-key';
import { type SubscribeOptions, followTask } from './live-events';
import { everyPage } from './pages';
import type {
  BatchItem,
  BatchSubmitted,
  CancelAnswer,
  RetryAnswer,
  SubmitOptions,
  Submitted,
  Task,
  TaskListFilter,
  TaskLogLine,
  TaskLogPage,
  TaskLogStreamEvent,
  TaskName,
  TaskPage,
  TaskPayloadInput,
  TaskResultView,
  TaskStatus,
  TaskStreamEvent,
  TaskToken,
  TaskView,
} from './types';
import { type WaitOptions, isTerminal, waitForTask } from './wait';

/** An instant of a list filter as the API takes it (ISO-8601). */
const instant = (value: Date | string | undefined) => (value instanceof Date ? value.toISOString() : value);

const taskPath = (id: string, rest = '') => `/tasks/${encodeURIComponent(id)}${rest}`;

/** The body fields of one submission's options (the key goes in the Idempotency-Key header or per batch item). */
function submissionFields(options: SubmitOptions) {
  return {
    ...(options.delayMs === undefined ? {} : { delay_ms: options.delayMs }),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    // Sent only when given: servers from before tags and metadata refuse unknown fields.
    ...(options.tags === undefined ? {} : { tags: options.tags }),
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
  };
}

type RawResult = { task_id: string; status: TaskStatus; result?: unknown; error?: unknown };
const toResultView = <N extends TaskName>(raw: RawResult): TaskResultView<N> =>
  ({ task_id: raw.task_id, status: raw.status, result: raw.result ?? null, error: raw.error ?? null }) as TaskResultView<N>;

/** conveyor.tasks: submit, read, follow, cancel, retry and list the tenant's tasks. */
export class Tasks {
  constructor(private readonly http: Transport) {}

  /**
   * Submits one task. A submission always carries an idempotency key (yours, or a fresh one),
   * so a retry after a lost answer returns the same task instead of making another.
   */
  async submit<N extends TaskName>(task: N, payload: TaskPayloadInput<N>, options: SubmitOptions = {}): Promise<Submitted> {
    const { status, body } = await this.http.json<{ task_id: string; status: TaskStatus }>({
      method: 'POST',
      path: '/tasks',
      headers: { 'Idempotency-Key': options.idempotencyKey ?? newIdempotencyKey() },
      body: { task, payload, ...submissionFields(options) },
      resendable: true,
    });
    return { id: body.task_id, status: body.status, created: status === 202 };
  }

  /**
   * Submits up to 1000 tasks in one request, all or none. The batch's key (yours, or a fresh
   * one) gives item i the key "<key>:<i>" unless the item has its own.
   */
  async submitBatch(items: BatchItem[], options: { idempotencyKey?: string } = {}): Promise<BatchSubmitted> {
    const { body } = await this.http.json<{ count: number; created: number; tasks: { task_id: string; status: TaskStatus; created: boolean }[] }>({
      method: 'POST',
      path: '/tasks/batch',
      headers: { 'Idempotency-Key': options.idempotencyKey ?? newIdempotencyKey() },
      body: {
        tasks: items.map((item) => ({
          task: item.task,
          payload: item.payload,
          ...(item.idempotencyKey === undefined ? {} : { idempotency_key: item.idempotencyKey }),
          ...submissionFields(item),
        })),
      },
      resendable: true,
    });
    return { count: body.count, created: body.created, tasks: body.tasks.map((t) => ({ id: t.task_id, status: t.status, created: t.created })) };
  }

  /** The task with its payload, attempt history and, once it ended, its result or error. */
  async get<N extends TaskName = TaskName>(id: string, options: { signal?: AbortSignal } = {}): Promise<Task<N>> {
    // A finished task's result is a second read; a retry between the two (FAILURE → PENDING)
    // shows as a different status there, and then the task is read again.
    for (let tries = 1; ; tries += 1) {
      const { body: view } = await this.http.json<TaskView>({ method: 'GET', path: taskPath(id), resendable: true, signal: options.signal });
      if (!isTerminal(view.status)) return { ...view, result: null, error: null } as Task<N>;
      const result = await this.read<N>(id, options.signal);
      if (result.status === view.status || tries === 3) return { ...view, result: result.result, error: result.error } as Task<N>;
    }
  }

  /** GET /tasks/{id}/result: `result` once SUCCESS, `error` once FAILURE or REVOKED, else both null. */
  result<N extends TaskName = TaskName>(id: string): Promise<TaskResultView<N>> {
    return this.read<N>(id);
  }

  private async read<N extends TaskName>(id: string, signal?: AbortSignal): Promise<TaskResultView<N>> {
    const { body } = await this.http.json<RawResult>({ method: 'GET', path: taskPath(id, '/result'), resendable: true, signal });
    return toResultView<N>(body);
  }

  /** The task once it is SUCCESS, FAILURE or REVOKED (see WaitOptions); WaitTimeoutError past timeoutMs. */
  wait<N extends TaskName = TaskName>(id: string, options: WaitOptions = {}): Promise<Task<N>> {
    return waitForTask<N>({ http: this.http, get: (taskId, signal) => this.get(taskId, { signal }) }, id, options);
  }

  /**
   * The task's live events: each `state` change, then `end` (with the result or error), then
   * the iteration ends. Reconnects by itself after a dropped connection, resuming after the
   * last event seen. Breaking out of the loop closes the stream. With `logs: true`, the
   * handler's log lines come too, as `log` events.
   */
  subscribe<N extends TaskName = TaskName>(id: string, options: SubscribeOptions & { logs: true }): AsyncIterable<TaskStreamEvent<N> | TaskLogStreamEvent>;
  subscribe<N extends TaskName = TaskName>(id: string, options?: SubscribeOptions & { logs?: false }): AsyncIterable<TaskStreamEvent<N>>;
  subscribe<N extends TaskName = TaskName>(id: string, options?: SubscribeOptions): AsyncIterable<TaskStreamEvent<N> | TaskLogStreamEvent>;
  subscribe<N extends TaskName = TaskName>(id: string, options: SubscribeOptions = {}): AsyncIterable<TaskStreamEvent<N> | TaskLogStreamEvent> {
    return followTask<N>(this.http, id, options);
  }

  /** Revokes the task: removed if queued, aborted if running. ConflictError once it has ended. */
  async cancel(id: string): Promise<CancelAnswer> {
    return (await this.http.json<CancelAnswer>({ method: 'POST', path: taskPath(id, '/cancel'), resendable: false })).body;
  }

  /** Runs a FAILURE task again. ConflictError for a task in any other state. */
  async retry(id: string): Promise<RetryAnswer> {
    return (await this.http.json<RetryAnswer>({ method: 'POST', path: taskPath(id, '/retry'), resendable: false })).body;
  }

  /** Every task matching the filter, newest first, fetching a page at a time as you iterate. */
  list(filter: TaskListFilter = {}): AsyncIterable<TaskView> {
    return everyPage(async (cursor) => {
      const page = await this.listPage({ ...filter, cursor });
      return { items: page.tasks, nextCursor: page.nextCursor };
    });
  }

  /** Every line the task's handler wrote (ctx.log), oldest first, a page at a time as you iterate. */
  logs(id: string, options: { limit?: number } = {}): AsyncIterable<TaskLogLine> {
    return everyPage(async (cursor) => {
      const page = await this.logsPage(id, { ...options, cursor });
      return { items: page.logs, nextCursor: page.nextCursor };
    });
  }

  /** One page of the task's log lines; pass its nextCursor as `cursor` for the next. */
  async logsPage(id: string, options: { limit?: number; cursor?: string } = {}): Promise<TaskLogPage> {
    const { body } = await this.http.json<{ logs: TaskLogLine[]; next_cursor: string | null }>({
      method: 'GET',
      path: taskPath(id, '/logs'),
      query: { limit: options.limit, cursor: options.cursor },
      resendable: true,
    });
    return { logs: body.logs, nextCursor: body.next_cursor };
  }

  /** One page of tasks; pass its nextCursor as `cursor` for the next. */
  async listPage(filter: TaskListFilter & { cursor?: string } = {}): Promise<TaskPage> {
    const status = filter.status === undefined ? undefined : ([] as TaskStatus[]).concat(filter.status).join(',');
    const { body } = await this.http.json<{ tasks: TaskView[]; next_cursor: string | null }>({
      method: 'GET',
      path: '/tasks',
      query: {
        status,
        task: filter.task,
        queue: filter.queue,
        schedule_id: filter.scheduleId,
        campaign_id: filter.campaignId,
        tag: filter.tags?.length ? filter.tags.join(',') : undefined,
        created_after: instant(filter.createdAfter),
        created_before: instant(filter.createdBefore),
        limit: filter.limit,
        cursor: filter.cursor,
      },
      resendable: true,
    });
    return { tasks: body.tasks, nextCursor: body.next_cursor };
  }

  /**
   * A read-only token for this one task, for a browser: it reads the task, its result and its
   * live events with `?token=` (see the React hook). eventsUrl is absolute, under baseUrl.
   */
  async createToken(id: string, options: { ttlSeconds?: number } = {}): Promise<TaskToken> {
    const { body } = await this.http.json<{ token: string; task_id: string; expires_at: string; events_url: string }>({
      method: 'POST',
      path: taskPath(id, '/tokens'),
      body: options.ttlSeconds === undefined ? {} : { ttl_seconds: options.ttlSeconds },
      resendable: false,
    });
    const eventsUrl = /^https?:/.test(body.events_url) ? body.events_url : `${this.http.baseUrl}${body.events_url}`;
    return { token: body.token, taskId: body.task_id, expiresAt: body.expires_at, eventsUrl };
  }
}
