import { useEffect, useState } from 'react';
import type { TaskError, TaskEvent, TaskName, TaskResult, TaskStatus } from './types';

export interface UseTaskOptions {
  /** The Conveyor server's origin (or origin and path prefix), as for `new Conveyor`. */
  baseUrl: string;
}

export interface TaskState<N extends TaskName = TaskName> {
  /** Null until the first event. */
  status: TaskStatus | null;
  progress: number;
  message: string | null;
  /** The result once SUCCESS. */
  result: TaskResult<N> | null;
  /**
   * The task's error once FAILURE or REVOKED; or, with type "StreamError", why the stream
   * was refused for good (an expired or unknown token, another task's id).
   */
  error: TaskError | null;
  /** True once nothing more will come: the task ended, or its stream was refused for good. */
  done: boolean;
}

const INITIAL: TaskState = { status: null, progress: 0, message: null, result: null, error: null, done: false };

/**
 * Follows one task in a browser with a task token (from `conveyor.tasks.createToken` on your
 * server: never put an API key in a page). A plain EventSource on the task's live events: the
 * browser reconnects by itself after a dropped connection, and the hook closes it at the end.
 * Pass a null id or token to follow nothing yet.
 */
export function useTask<N extends TaskName = TaskName>(
  taskId: string | null | undefined,
  token: string | null | undefined,
  options: UseTaskOptions,
): TaskState<N> {
  const [state, setState] = useState<TaskState<N>>(INITIAL as TaskState<N>);
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  useEffect(() => {
    setState(INITIAL as TaskState<N>);
    if (!taskId || !token) return;
    const url = `${baseUrl}/api/v1/tasks/${encodeURIComponent(taskId)}/events?token=${encodeURIComponent(token)}`;
    const source = new EventSource(url);
    const apply = (event: MessageEvent<string>, done: boolean) => {
      const data = JSON.parse(event.data) as TaskEvent & { result?: TaskResult<N> | null; error?: TaskError | null };
      setState({ status: data.status, progress: data.progress, message: data.message, result: data.result ?? null, error: data.error ?? null, done });
    };
    source.addEventListener('state', (event) => apply(event, false));
    source.addEventListener('end', (event) => {
      // The server closes the stream after `end`; closing first keeps the browser from reconnecting.
      source.close();
      apply(event, true);
    });
    source.onerror = () => {
      // CONNECTING: the browser is reconnecting by itself. CLOSED: it gave up (a 4xx answer).
      if (source.readyState !== EventSource.CLOSED) return;
      setState((previous) => ({
        ...previous,
        done: true,
        error: {
          type: 'StreamError',
          message: `The live events of task ${taskId} were refused: the token may be expired or for another task; ask your server for a new one`,
        },
      }));
    };
    return () => source.close();
  }, [baseUrl, taskId, token]);

  return state;
}
