import type { Transport } from './http';
import type { QueueWindow, QueuesResponse, WorkerView } from './types';

/** conveyor.queues: each queue's tasks by status, oldest waiting task and finished tasks over a window (every tenant's for an admin key). */
export class Queues {
  constructor(private readonly http: Transport) {}

  /** The overview over the last hour (default), 6 hours or 24 hours. */
  async list(window: QueueWindow = '1h'): Promise<QueuesResponse> {
    return (await this.http.json<QueuesResponse>({ method: 'GET', path: '/queues', query: { window }, resendable: true })).body;
  }
}

/** conveyor.workers: the live worker processes (admin key; PermissionDeniedError otherwise). */
export class Workers {
  constructor(private readonly http: Transport) {}

  async list(): Promise<WorkerView[]> {
    return (await this.http.json<{ workers: WorkerView[] }>({ method: 'GET', path: '/workers', resendable: true })).body.workers;
  }
}
