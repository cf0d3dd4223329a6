import {
  budgetAlertDeliveriesViewSchema,
  budgetAlertViewSchema,
  PREFLIGHT_PROMPT_TOKENS,
  putBudgetAlertBodySchema,
  usageCheckQuerySchema,
  usageCheckViewSchema,
  usagePeriodsViewSchema,
  usageQuerySchema,
  usageViewSchema,
} from '@conveyor/contracts';
import { type ApiRoute, body, error, json, tag } from './parts';

/** The tenant's LLM spend by period and group, and its budget alert webhook. */
export function usageRoutes(): ApiRoute[] {
  return [
    tag(['usage'], {
      method: 'get',
      path: '/api/v1/usage',
      operationId: 'getUsage',
      summary: "A billing period's LLM spend: total, by action, reserved, remaining, cap; grouped by day, task, model or campaign with group_by",
      description:
        'period: current (default), previous, or the date a period starts (YYYY-MM-DD, from GET /usage/periods). Groups carry calls, prompt and completion tokens and cost; day groups are sorted by date, the others by cost, highest first.',
      request: { query: usageQuerySchema },
      responses: {
        200: json(usageViewSchema.meta({ id: 'Usage' }), 'The period'),
        400: error('A bad group_by or period, or a date that starts none of your periods (the message lists those that do)'),
      },
    }),
    tag(['usage'], {
      method: 'get',
      path: '/api/v1/usage/periods',
      operationId: 'listUsagePeriods',
      summary: 'Your billing periods with spend or usage, the current one always, newest first',
      responses: { 200: json(usagePeriodsViewSchema, 'The periods') },
    }),
    tag(['usage'], {
      method: 'get',
      path: '/api/v1/usage/check',
      operationId: 'checkUsage',
      summary: "Whether one more call of an LLM task fits this period's remaining budget and the plan's per-action limit, and how many would",
      description: `Prices the call as the worker's reservation does, with a prompt of ${PREFLIGHT_PROMPT_TOKENS} tokens (a pre-flight has none): the route's max_tokens at the dearest model of its chain, twice for a structured answer; for a task with several kinds of call, the dearest. A snapshot: concurrent calls may take the room before the task runs, which then fails PLAN_LIMIT_REACHED.`,
      request: { query: usageCheckQuerySchema },
      responses: {
        200: json(usageCheckViewSchema.meta({ id: 'UsageCheck' }), 'Whether it fits, and why not'),
        400: error('task is missing or not a task that calls a model (the message lists those that do)'),
      },
    }),
    tag(['usage'], {
      method: 'put',
      path: '/api/v1/budget-alerts',
      operationId: 'putBudgetAlert',
      summary: 'Set or replace the budget alert webhook; the answer shows its new signing secret, once',
      description:
        'When spend reaches a threshold (a percentage of the cap; 50, 80 and 100 by default), one POST per threshold and period goes to url with body {type: "budget.threshold_crossed", tenant_id, period_start, threshold, cap_usd, spent_usd, sent_at} and header X-Conveyor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the secret>. 5xx, 429, timeouts and network errors are retried with backoff; other 4xx are not.',
      request: { body: body(putBudgetAlertBodySchema) },
      responses: {
        200: json(budgetAlertViewSchema, 'The webhook, with secret'),
        400: error('A bad url or thresholds, or a url that resolves to a private address'),
      },
    }),
    tag(['usage'], {
      method: 'get',
      path: '/api/v1/budget-alerts',
      operationId: 'getBudgetAlert',
      summary: 'The budget alert webhook (without its secret)',
      responses: { 200: json(budgetAlertViewSchema, 'The webhook'), 404: error('No webhook is set') },
    }),
    tag(['usage'], {
      method: 'delete',
      path: '/api/v1/budget-alerts',
      operationId: 'deleteBudgetAlert',
      summary: 'Remove the budget alert webhook; alerts not yet delivered are recorded failed',
      responses: { 204: { description: 'Removed' }, 404: error('No webhook is set') },
    }),
    tag(['usage'], {
      method: 'get',
      path: '/api/v1/budget-alerts/deliveries',
      operationId: 'listBudgetAlertDeliveries',
      summary: 'Budget alerts recorded and their delivery: newest period first (the latest 200)',
      responses: { 200: json(budgetAlertDeliveriesViewSchema, 'The deliveries') },
    }),
  ];
}
