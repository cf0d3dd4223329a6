import { DeadLetters } from './dead-letters';
import { TaskTypes, Usage } from './catalog';
import { Transport } from './http';
import { Schedules } from './schedules';
import { Tasks } from './tasks';

export interface ConveyorOptions {
  /** The server's origin, or origin and path prefix (`https://example.com/conveyor`); the client adds /api/v1. */
  baseUrl: string;
  /** A tenant API key (an admin key for deadLetters). */
  apiKey: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Retries of a request refused with 429 or 503, and of a resendable request whose connection broke. Default 3. */
  maxRetries?: number;
  /** The longest wait before one retry; a Retry-After longer than this is thrown at once (its retryAfterMs says how long). Default 30000. */
  maxRetryDelayMs?: number;
}

/** The Conveyor API, typed: `new Conveyor({ baseUrl, apiKey }).tasks.submit('ping', {})`. */
export class Conveyor {
  readonly tasks: Tasks;
  readonly schedules: Schedules;
  readonly usage: Usage;
  readonly taskTypes: TaskTypes;
  readonly deadLetters: DeadLetters;

  constructor(options: ConveyorOptions) {
    const http = new Transport(options);
    this.tasks = new Tasks(http);
    this.schedules = new Schedules(http);
    this.usage = new Usage(http);
    this.taskTypes = new TaskTypes(http);
    this.deadLetters = new DeadLetters(http);
  }
}
