import type { Transport } from './http';
import { everyPage } from './pages';
import type { DeadLetterFilter, DeadLetterPage, DeadLetterView, ReplayAnswer, ReplaySelection } from './types';

/** conveyor.deadLetters: tasks that failed for good, across tenants. Needs an admin key (PermissionDeniedError otherwise). */
export class DeadLetters {
  constructor(private readonly http: Transport) {}

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
