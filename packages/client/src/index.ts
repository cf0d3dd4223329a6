export { Conveyor, type ConveyorOptions } from './conveyor';
export type { RequestMethod, RequestOptions } from './request';
export type { Query } from './http';
export type { Tasks } from './tasks';
export type { Schedules } from './schedules';
export type { TaskTypes, Usage } from './catalog';
export type { DeadLetters } from './dead-letters';
export type { Auth } from './auth';
export type { Queues, Workers } from './operations';
export type { BudgetAlerts } from './budget-alerts';
export type { WaitOptions } from './wait';
export { LiveEventsUnavailableError, type SubscribeOptions } from './live-events';
export {
  ConveyorError,
  ConveyorApiError,
  ValidationError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ServiceUnavailableError,
  ConnectionError,
  WaitTimeoutError,
  type Issue,
} from './errors';
export type * from './types';
