import type { Transport } from './http';
import { everyPage } from './pages';
import type { ScheduleChange, ScheduleInput, SchedulePage, ScheduleView, Submitted, TaskName, TaskStatus } from './types';

const schedulePath = (id: string, rest = '') => `/schedules/${encodeURIComponent(id)}${rest}`;

/** conveyor.schedules: one-shot, cron and RRULE schedules of the tenant's tasks. */
export class Schedules {
  constructor(private readonly http: Transport) {}

  /** Creates a schedule; the answer shows its next fire times. ValidationError names the bad field, ConflictError a taken name. */
  async create<N extends TaskName>(input: ScheduleInput<N>): Promise<ScheduleView> {
    return (await this.http.json<ScheduleView>({ method: 'POST', path: '/schedules', body: input, resendable: false })).body;
  }

  /** Every schedule, by name, fetching a page at a time as you iterate. */
  list(options: { limit?: number } = {}): AsyncIterable<ScheduleView> {
    return everyPage(async (cursor) => {
      const page = await this.listPage({ ...options, cursor });
      return { items: page.schedules, nextCursor: page.nextCursor };
    });
  }

  /** One page of schedules; pass its nextCursor as `cursor` for the next. */
  async listPage(options: { limit?: number; cursor?: string } = {}): Promise<SchedulePage> {
    const { body } = await this.http.json<{ schedules: ScheduleView[]; next_cursor: string | null }>({
      method: 'GET',
      path: '/schedules',
      query: { limit: options.limit, cursor: options.cursor },
      resendable: true,
    });
    return { schedules: body.schedules, nextCursor: body.next_cursor };
  }

  async get(id: string): Promise<ScheduleView> {
    return (await this.http.json<ScheduleView>({ method: 'GET', path: schedulePath(id), resendable: true })).body;
  }

  /** Changes some fields; a new `kind` replaces the recurrence whole. */
  async update(id: string, change: ScheduleChange): Promise<ScheduleView> {
    return (await this.http.json<ScheduleView>({ method: 'PATCH', path: schedulePath(id), body: change, resendable: false })).body;
  }

  async delete(id: string): Promise<void> {
    await this.http.json<undefined>({ method: 'DELETE', path: schedulePath(id), resendable: false });
  }

  /** Enables it from now on: times missed while disabled are not fired. */
  async enable(id: string): Promise<ScheduleView> {
    return (await this.http.json<ScheduleView>({ method: 'POST', path: schedulePath(id, '/enable'), resendable: false })).body;
  }

  async disable(id: string): Promise<ScheduleView> {
    return (await this.http.json<ScheduleView>({ method: 'POST', path: schedulePath(id, '/disable'), resendable: false })).body;
  }

  /** Fires the schedule once, now: the task it submitted. */
  async trigger(id: string): Promise<Submitted> {
    const { body } = await this.http.json<{ task_id: string; status: TaskStatus }>({ method: 'POST', path: schedulePath(id, '/trigger'), resendable: false });
    return { id: body.task_id, status: body.status, created: true };
  }
}
