import { ConnectionError, ConveyorError } from './errors';
import type { Transport } from './http';
import { anySignal, sleep } from './sleep';
import { SseParser } from './sse';
import type { TaskLogStreamEvent, TaskName, TaskStreamEvent } from './types';

export interface SubscribeOptions {
  signal?: AbortSignal;
  /** Resume after this event (sent as Last-Event-ID): only newer states come. */
  lastEventId?: string;
  /**
   * Also yield `log` events: the lines the handler writes (ctx.log), oldest first, each once
   * across reconnects. The server sends them to an API key, not to a task token.
   */
  logs?: boolean;
}

export interface FollowOptions extends SubscribeOptions {
  /** Retries of a refused stream (429, 503) before giving up; wait() passes 0 and polls instead. */
  openRetries?: number;
}

/** The answer was not an event stream (a proxy that does not pass them through, say). */
export class LiveEventsUnavailableError extends ConveyorError {
  override name = 'LiveEventsUnavailableError';
}

/** Connections in a row that may fail or drop before anything arrives before subscribe() gives up. */
const MAX_RECONNECTS = 5;
const FIRST_RECONNECT_MS = 250;
const LONGEST_RECONNECT_MS = 10_000;

type State = Pick<TaskStreamEvent, 'status' | 'progress' | 'message' | 'attempts'>;
const sameState = (a: State | undefined, b: State) =>
  a !== undefined && a.status === b.status && a.progress === b.progress && a.message === b.message && a.attempts === b.attempts;

/** A connection that could not be made, or broke before its `end` event. */
class Dropped {
  constructor(readonly cause?: unknown) {}
}

/**
 * The task's live events over fetch: `state` events, then the `end` event, then done. A
 * connection that drops before `end` is opened again after a backoff (or the server's
 * `retry:`), with Last-Event-ID, so the server sends only later states; up to MAX_RECONNECTS
 * times in a row when nothing arrives. A state equal to the one yielded last is not yielded
 * again (servers from before stable event ids start every connection with the current state).
 */
export async function* followTask<N extends TaskName>(
  http: Transport,
  taskId: string,
  options: FollowOptions = {},
): AsyncGenerator<TaskStreamEvent<N> | TaskLogStreamEvent> {
  let lastEventId = options.lastEventId;
  let last: State | undefined;
  let retryMs: number | undefined;
  let lastDrop: Dropped | undefined;
  for (let failures = 0; ;) {
    const connection = new AbortController();
    const { signal, dispose } = anySignal([options.signal, connection.signal]);
    let delivered = false;
    try {
      const response = await openStream(http, taskId, lastEventId, signal, options.openRetries);
      if (response instanceof Dropped) lastDrop = response;
      else {
        const parser = new SseParser(lastEventId);
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        try {
          for (;;) {
            const chunk = await reader.read().catch((error: unknown) => {
              if (options.signal?.aborted) throw options.signal.reason;
              return new Dropped(error);
            });
            if (chunk instanceof Dropped) lastDrop = chunk;
            if (chunk instanceof Dropped || chunk.done) break;
            // Anything at all (an event, a keep-alive) shows the server is there: a stream that
            // ends after that is the server's lifetime cap or a network drop, not a dead server.
            delivered = true;
            const messages = parser.push(decoder.decode(chunk.value, { stream: true }));
            retryMs = parser.retryMs ?? retryMs;
            for (const message of messages) {
              lastEventId = message.id ?? lastEventId;
              if (message.event === 'log' && options.logs) yield toLogEvent(message.data, message.id);
              if (message.event !== 'state' && message.event !== 'end') continue;
              const event = toEvent<N>(message.event, message.data, message.id);
              if (event.type === 'state' && sameState(last, event)) continue;
              last = event;
              yield event;
              if (event.type === 'end') return;
            }
          }
        } finally {
          await reader.cancel().catch(() => undefined);
        }
      }
    } finally {
      connection.abort();
      dispose();
    }
    failures = delivered ? 0 : failures + 1;
    if (failures > MAX_RECONNECTS) {
      throw new ConnectionError(
        `The live events of task ${taskId} failed or dropped ${failures} times in a row before anything arrived; check the server (or a proxy that buffers text/event-stream), or poll with tasks.get()`,
        { cause: lastDrop?.cause },
      );
    }
    const backoff = Math.min((retryMs ?? FIRST_RECONNECT_MS) * 2 ** Math.max(0, failures - 1), LONGEST_RECONNECT_MS);
    await sleep(backoff, options.signal);
  }
}

/** The stream's response, or Dropped when the server could not be reached (an answer it refused throws). */
async function openStream(
  http: Transport,
  taskId: string,
  lastEventId: string | undefined,
  signal: AbortSignal,
  openRetries: number | undefined,
): Promise<Response | Dropped> {
  let response: Response;
  try {
    response = await http.send({
      method: 'GET',
      path: `/tasks/${encodeURIComponent(taskId)}/events`,
      headers: { Accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }) },
      // The loop above reconnects; the transport need not retry a broken connection too.
      resendable: false,
      signal,
      maxRetries: openRetries,
    });
  } catch (error) {
    if (error instanceof ConnectionError) return new Dropped(error);
    throw error;
  }
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/event-stream') || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new LiveEventsUnavailableError(
      `GET /api/v1/tasks/${taskId}/events answered ${type || 'no content type'} instead of text/event-stream; a proxy in between may not pass event streams through`,
    );
  }
  return response;
}

function toLogEvent(data: string, id: string | undefined): TaskLogStreamEvent {
  try {
    return { ...(JSON.parse(data) as Omit<TaskLogStreamEvent, 'type' | 'eventId'>), type: 'log', eventId: id ?? null };
  } catch {
    throw new ConveyorError(`A log event carried data that is not JSON (${data.slice(0, 100)}); is baseUrl a Conveyor server?`);
  }
}

function toEvent<N extends TaskName>(type: 'state' | 'end', data: string, id: string | undefined): TaskStreamEvent<N> {
  let parsed: Omit<TaskStreamEvent<N>, 'type' | 'eventId'>;
  try {
    parsed = JSON.parse(data) as typeof parsed;
  } catch {
    throw new ConveyorError(`A live event of type ${type} carried data that is not JSON (${data.slice(0, 100)}); is baseUrl a Conveyor server?`);
  }
  const eventId = id ?? null;
  if (type === 'state') return { ...parsed, type, eventId } as TaskStreamEvent<N>;
  const end = parsed as { result?: unknown; error?: unknown };
  return { ...parsed, type, eventId, result: end.result ?? null, error: end.error ?? null } as TaskStreamEvent<N>;
}
