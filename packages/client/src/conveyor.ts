import { Auth } from './auth';
import { BudgetAlerts } from './budget-alerts';
import { DeadLetters } from './dead-letters';
import { TaskTypes, Usage } from './catalog';
import { Transport } from './http';
import { Queues, Workers } from './operations';
import { type RequestMethod, type RequestOptions, requestSpec } from './request';
import { Schedules } from './schedules';
import { Tasks } from './tasks';

export interface ConveyorOptions {
  /** The server's origin, or origin and path prefix (`https://example.com/conveyor`); the client adds /api/v1. */
  baseUrl: string;
  /** A tenant API key (an admin key for workers and the admin methods of deadLetters). Required unless `session` is true. */
  apiKey?: string;
  /**
   * In a browser signed in to the console (conveyor.auth.signIn): authenticate by the session
   * cookie instead of a key. Requests are sent with `credentials: 'include'`, and those that
   * change something with `X-Conveyor-CSRF: 1`.
   */
  session?: boolean;
  /** An admin acting for a tenant: its id, sent as `X-Conveyor-Tenant` on every request. */
  tenant?: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Retries of a request refused with 429 or 503, and of a resendable request whose connection broke. Default 3. */
  maxRetries?: number;
  /** The longest wait before one retry; a Retry-After longer than this is thrown at once (its retryAfterMs says how long). Default 30000. */
  maxRetryDelayMs?: number;
}

/** The Conveyor API, typed: `new Conveyor({ baseUrl, apiKey }).tasks.submit('ping', {})`; in the console's pages `new Conveyor({ baseUrl, session: true })`. */
export class Conveyor {
  readonly tasks: Tasks;
  readonly schedules: Schedules;
  readonly usage: Usage;
  readonly taskTypes: TaskTypes;
  readonly deadLetters: DeadLetters;
  readonly auth: Auth;
  readonly queues: Queues;
  readonly workers: Workers;
  readonly budgetAlerts: BudgetAlerts;
  private readonly http: Transport;

  constructor(options: ConveyorOptions) {
    const http = new Transport(options);
    this.http = http;
    this.tasks = new Tasks(http);
    this.schedules = new Schedules(http);
    this.usage = new Usage(http);
    this.taskTypes = new TaskTypes(http);
    this.deadLetters = new DeadLetters(http);
    this.auth = new Auth(http);
    this.queues = new Queues(http);
    this.workers = new Workers(http);
    this.budgetAlerts = new BudgetAlerts(http);
  }

  /**
   * A route that has no typed resource yet (posts, X accounts, sessions, ingestion…):
   * `request<Post>('GET', `/posts/${id}`)`. The path is under /api/v1 and starts with '/'
   * (TypeError otherwise). The answer's JSON body is returned as T, unchecked (undefined for
   * 204); errors, the API key and the 429/503 retries are those of the typed methods. A broken
   * connection is retried only for a GET, or when an idempotencyKey is given.
   */
  async request<T = unknown>(method: RequestMethod, path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.http.json<T>(requestSpec(method, path, options))).body;
  }
}
