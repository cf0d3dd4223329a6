import type { Transport } from './http';
import { everyPage } from './pages';
import type {
  DeadLetterFilter,
  DeadLetterGroup,
  DeadLetterPage,
  DeadLetterView,
  OwnDeadLetterFilter,
  OwnDeadLetterPage,
  OwnDeadLetterView,
  OwnReplayAnswer,
  OwnReplaySelection,
  ReplayAnswer,
  ReplayOneAnswer,
  ReplaySelection,
} from './types';

const deadLetterPath = (taskId: string, rest = '') => `/dead-letters/${encodeURIComponent(taskId)}${rest}`;

/**
 * conveyor.deadLetters: tasks that failed for good. The tenant's own with a tenant key
 * (listOwn, groups, replayOwn, replayOne, discard); list, listPage and replay are the admin
 * routes across tenants and need an admin key (PermissionDeniedError otherwise).
 */
export class DeadLetters {
  constructor(private readonly http: Transport) {}

  /** The tenant's open dead letters matching the filter, newest first, a page at a time as you iterate. */
  listOwn(filter: OwnDeadLetterFilter = {}): AsyncIterable<OwnDeadLetterView> {
    return everyPage(async (cursor) => {
      const page = await this.listOwnPage({ ...filter, cursor });
      return { items: page.deadLetters, nextCursor: page.nextCursor };
    });
  }

  /** One page of the tenant's open dead letters; pass its nextCursor as `cursor` for the next. */
  async listOwnPage(filter: OwnDeadLetterFilter & { cursor?: string } = {}): Promise<OwnDeadLetterPage> {
    const { body } = await this.http.json<{ dead_letters: OwnDeadLetterView[]; next_cursor: string | null }>({
      method: 'GET',
      path: '/dead-letters',
      query: { task: filter.task, error_code: filter.errorCode, limit: filter.limit, cursor: filter.cursor },
      resendable: true,
    });
    return { deadLetters: body.dead_letters, nextCursor: body.next_cursor };
  }

  /** The tenant's open dead letters counted by task and error code, the largest group first. */
  async groups(): Promise<DeadLetterGroup[]> {
    return (await this.http.json<{ groups: DeadLetterGroup[] }>({ method: 'GET', path: '/dead-letters/groups', resendable: true })).body.groups;
  }

  /** Replays the tenant's dead letters: `{taskIds}`, or `{all: true}` narrowed by task and errorCode. */
  async replayOwn(selection: OwnReplaySelection): Promise<OwnReplayAnswer> {
    const body = 'taskIds' in selection ? { task_ids: selection.taskIds } : { all: true, task: selection.task, error_code: selection.errorCode };
    return (await this.http.json<OwnReplayAnswer>({ method: 'POST', path: '/dead-letters/replay', body, resendable: false })).body;
  }

  /** Replays one dead letter, with an edited payload if given (checked against its task: ValidationError naming payload.<field>). */
  async replayOne(taskId: string, options: { payload?: Record<string, unknown> } = {}): Promise<ReplayOneAnswer> {
    const body = options.payload === undefined ? {} : { payload: options.payload };
    return (await this.http.json<ReplayOneAnswer>({ method: 'POST', path: deadLetterPath(taskId, '/replay'), body, resendable: false })).body;
  }

  /** Discards (acknowledges) a dead letter: no longer listed or replayed in bulk; its task stays FAILURE. */
  async discard(taskId: string): Promise<void> {
    await this.http.json<undefined>({ method: 'DELETE', path: deadLetterPath(taskId), resendable: true });
  }

  /** Every dead letter matching the filter, newest first, fetching a page at a time as you iterate. */
  list(filter: DeadLetterFilter = {}): AsyncIterable<DeadLetterView> {
    return everyPage(async (cursor) => {
      const page = await this.listPage({ ...filter, cursor });
      return { items: page.deadLetters, nextCursor: page.nextCursor };
    });
  }

  /** One page of dead letters; pass its nextCursor as `cursor` for the next. */
  async listPage(filter: DeadLetterFilter & { cursor?: string } = {}): Promise<DeadLetterPage> {
    const { body } = await this.http.json<{ dead_letters: DeadLetterView[]; next_cursor: string | null }>({
      method: 'GET',
      path: '/admin/dead-letters',
      query: { task: filter.task, tenant_id: filter.tenantId, limit: filter.limit, cursor: filter.cursor },
      resendable: true,
    });
    return { deadLetters: body.dead_letters, nextCursor: body.next_cursor };
  }

  /** Queues dead letters again: `{taskIds}`, `{filter: {task, tenantId, failedAfter}}` or, to replay every one, `{all: true}`. */
  async replay(selection: ReplaySelection): Promise<ReplayAnswer> {
    const body =
      'taskIds' in selection
        ? { task_ids: selection.taskIds }
        : 'filter' in selection
          ? { filter: { task: selection.filter.task, tenant_id: selection.filter.tenantId, failed_after: selection.filter.failedAfter } }
          : { all: true };
    return (await this.http.json<ReplayAnswer>({ method: 'POST', path: '/admin/dead-letters/replay', body, resendable: false })).body;
  }
}
