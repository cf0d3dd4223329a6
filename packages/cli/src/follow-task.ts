import {
  type Conveyor,
  LiveEventsUnavailableError,
  RateLimitError,
  ServiceUnavailableError,
  type Task,
  type TaskLogStreamEvent,
  type TaskStreamEvent,
  WaitTimeoutError,
} from '@conveyor/client';
import { InterruptedError } from './exit-codes';

export interface FollowOptions {
  /** Give up (WaitTimeoutError) after this long; the task goes on. */
  timeoutMs?: number;
  /** Each live state change (and, with `logs`, each line the handler writes), for display. */
  onEvent: (event: TaskStreamEvent | TaskLogStreamEvent) => void;
  /** Also follow the task's log lines (ctx.log). */
  logs?: boolean;
  /** Something the person watching should know (the stream fell back to polling). */
  onNote: (text: string) => void;
  /** Ctrl-C caught before following began (catchSigint): stop at once. */
  sigintBefore?: SigintCatcher;
}

export interface SigintCatcher {
  readonly pressed: boolean;
  dispose(): void;
}

/**
 * Catches Ctrl-C from now on. `submit --wait` starts it before it prints the task's id: a
 * person (or a script) reacting to that line must stop the wait, not kill the process,
 * however soon the signal comes.
 */
export function catchSigint(): SigintCatcher {
  const catcher = {
    pressed: false,
    dispose: () => process.removeListener('SIGINT', onSigint),
  };
  const onSigint = () => {
    catcher.pressed = true;
  };
  process.on('SIGINT', onSigint);
  return catcher;
}

const TERMINAL = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/** Errors of the live stream after which the result can still be had by polling. */
const streamUnavailable = (error: unknown) =>
  error instanceof RateLimitError || error instanceof ServiceUnavailableError || error instanceof LiveEventsUnavailableError;

/**
 * Follows a task's live events until it ends and returns it whole. Ctrl-C stops following
 * (InterruptedError) and leaves the task running; so does the timeout (WaitTimeoutError).
 */
export async function followTask(conveyor: Conveyor, id: string, options: FollowOptions): Promise<Task> {
  let lastStatus: string | undefined;
  const stop = new AbortController();
  const onSigint = () => stop.abort(new InterruptedError(`Stopped waiting for task ${id}; it goes on (cancel it with: conveyor tasks cancel ${id})`));
  process.once('SIGINT', onSigint);
  if (options.sigintBefore?.pressed) onSigint();
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => stop.abort(new WaitTimeoutError(id, options.timeoutMs!, lastStatus)), options.timeoutMs);
  const signal = stop.signal;
  try {
    try {
      for await (const event of conveyor.tasks.subscribe(id, { signal, logs: options.logs })) {
        if (event.type !== 'log') lastStatus = event.status;
        options.onEvent(event);
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!streamUnavailable(error)) throw error;
      options.onNote(`Live events unavailable (${(error as Error).message}); polling for the result without progress`);
    }
    // The stream ended (or was refused): read the task whole. wait() follows on when a retry
    // came in between (FAILURE → PENDING), and polls when the stream stays refused.
    const task = await conveyor.tasks.get(id, { signal });
    if (TERMINAL.has(task.status)) return task;
    return await conveyor.tasks.wait(id, { signal });
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  } finally {
    clearTimeout(timer);
    process.removeListener('SIGINT', onSigint);
  }
}
