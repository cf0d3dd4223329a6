import type { Transport } from './http';
import type { TaskTypeView, UsageView } from './types';

/** conveyor.taskTypes: the tasks this deployment offers. */
export class TaskTypes {
  constructor(private readonly http: Transport) {}

  /** Every task type with its queue, payload and result JSON Schemas, and the policy it runs with here. */
  async list(): Promise<TaskTypeView[]> {
    return (await this.http.json<{ task_types: TaskTypeView[] }>({ method: 'GET', path: '/task-types', resendable: true })).body.task_types;
  }
}

/** conveyor.usage: the tenant's LLM spend. */
export class Usage {
  constructor(private readonly http: Transport) {}

  /** This billing period's spend: total, by action, reserved, remaining and cap. */
  async get(): Promise<UsageView> {
    return (await this.http.json<UsageView>({ method: 'GET', path: '/usage', resendable: true })).body;
  }
}
