import { ConnectionError, ConveyorApiError, WaitTimeoutError } from './errors';
import { LiveEventsUnavailableError, followTask } from './live-events';
import type { Transport } from './http';
import { anySignal, sleep } from './sleep';
import type { Task, TaskName, TaskStatus, TaskView } from './types';

export interface WaitOptions {
  /** Give up after this many milliseconds with WaitTimeoutError (the task goes on). Default: no limit. */
  timeoutMs?: number;
  /** Stop waiting: wait() rejects with the signal's reason. */
  signal?: AbortSignal;
  /** First interval of the polling used when live events are refused; it grows to 5 s. Default 1000. */
  pollIntervalMs?: number;
}

const TERMINAL: readonly TaskStatus[] = ['SUCCESS', 'FAILURE', 'REVOKED'];
export const isTerminal = (status: TaskStatus) => TERMINAL.includes(status);

const LONGEST_POLL_MS = 5000;

/** The stream was refused or cannot be had (rate limit, stream cap, server trouble, a proxy): polling still works. */
const streamUnavailable = (error: unknown) =>
  error instanceof LiveEventsUnavailableError ||
  error instanceof ConnectionError ||
  (error instanceof ConveyorApiError && (error.status === 429 || error.status >= 500));

interface WaitDeps {
  http: Transport;
  /** The task with its result, as tasks.get() reads it. */
  get: (id: string, signal: AbortSignal) => Promise<Task>;
}

/**
 * Waits until the task is SUCCESS, FAILURE or REVOKED and returns it as tasks.get() does.
 * Follows the live events; when they are refused or unavailable, polls the task instead.
 * A RETRY is not an end: the task runs again and this goes on waiting.
 */
export async function waitForTask<N extends TaskName>(deps: WaitDeps, id: string, options: WaitOptions = {}): Promise<Task<N>> {
  let lastStatus: TaskStatus | undefined;
  const timeout = new AbortController();
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => timeout.abort(new WaitTimeoutError(id, options.timeoutMs!, lastStatus)), options.timeoutMs);
  const { signal, dispose } = anySignal([options.signal, timeout.signal]);
  let polling = false;
  try {
    for (;;) {
      if (polling) lastStatus = await pollUntilEnded(deps.http, id, signal, options.pollIntervalMs ?? 1000, (s) => (lastStatus = s));
      else {
        try {
          for await (const event of followTask(deps.http, id, { signal, openRetries: 0 })) if (event.type !== 'log') lastStatus = event.status;
        } catch (error) {
          if (signal.aborted || !streamUnavailable(error)) throw error;
          polling = true;
          continue;
        }
      }
      // The end was seen; read the task whole. A retry in between (FAILURE → PENDING) waits on.
      const task = await deps.get(id, signal);
      lastStatus = task.status;
      if (isTerminal(task.status)) return task as Task<N>;
    }
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  } finally {
    clearTimeout(timer);
    dispose();
  }
}

async function pollUntilEnded(http: Transport, id: string, signal: AbortSignal, firstMs: number, seen: (s: TaskStatus) => void): Promise<TaskStatus> {
  for (let delay = firstMs; ; delay = Math.min(delay * 1.5, LONGEST_POLL_MS)) {
    const { body } = await http.json<TaskView>({ method: 'GET', path: `/tasks/${encodeURIComponent(id)}`, resendable: true, signal });
    seen(body.status);
    if (isTerminal(body.status)) return body.status;
    await sleep(delay, signal);
  }
}
