import type { Transport } from './http';
import type { LlmTaskName, TaskTypeView, UsageCheckView, UsageOptions, UsagePeriodsView, UsageView } from './types';

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

  /**
   * A billing period's spend (the current one unless `period` names another): total, by action,
   * reserved, remaining and cap; with `groupBy` (day, task, model, campaign) also `groups`, each
   * with calls, tokens and cost.
   */
  async get(options: UsageOptions = {}): Promise<UsageView> {
    const query = { group_by: options.groupBy, period: options.period };
    return (await this.http.json<UsageView>({ method: 'GET', path: '/usage', query, resendable: true })).body;
  }

  /**
   * Whether one more call of an LLM task fits this period, asked before submitting it: `fits`,
   * the call's worst case (what its reservation may take), the remaining budget, how many such
   * calls fit, the plan's per-action `limit` if it has one, and the `reason` when it does not fit.
   */
  async check(task: LlmTaskName): Promise<UsageCheckView> {
    return (await this.http.json<UsageCheckView>({ method: 'GET', path: '/usage/check', query: { task }, resendable: true })).body;
  }

  /** The billing periods with spend (the current one always), newest first. */
  async periods(): Promise<UsagePeriodsView['periods']> {
    return (await this.http.json<UsagePeriodsView>({ method: 'GET', path: '/usage/periods', resendable: true })).body.periods;
  }
}
