import { type TaskEvent, type TaskLogEvent, type TaskLogLine, isTerminal, taskTokenQuerySchema } from '@conveyor/contracts';
import { type Database, type Principal, type TaskRow, findTask, listTaskLogs, toTaskLogLine } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { type EventData, type EventPosition, eventIdOf, isBefore, parseEventId, positionOf, samePosition } from '../event-positions';
import { HttpError } from '../http-error';
import { loadTask } from '../load-task';
import { tenantOf } from '../middleware/authenticate';
import { parseQuery } from '../query';
import type { TaskEventHub } from '../task-event-hub';
import { TaskRowPoller } from '../task-row-poller';

export interface TaskEventsOptions {
  db: Kysely<Database>;
  hub: TaskEventHub;
  logger: Logger;
  /** Milliseconds between re-reads of the streamed tasks, which catch any event pub/sub lost. */
  pollMs?: number;
  /** Milliseconds between keep-alive comments. */
  heartbeatMs?: number;
  /** Milliseconds a stream stays open at most; the client then reconnects (EventSource does by itself). */
  maxLifetimeMs?: number;
  /** Seconds a client refused for too many streams is told to wait. */
  retryAfterSeconds?: number;
}

/** A row as an event: the committed state, stamped with when it was committed. */
const fromRow = (row: TaskRow): EventData => ({
  status: row.status,
  progress: row.progress,
  message: row.message,
  attempts: row.attempt,
  at: row.updated_at.toISOString(),
});

/**
 * GET /tasks/{id}/events: server-sent events of every state and progress change until the
 * task ends. The stream starts with the current state, so a client that connects after the
 * end gets the final state and the stream closes.
 *
 * Every event has one shape, {task_id, status, progress, message, attempts, at}. Changes
 * arrive by pub/sub as workers commit them; one re-read of all streamed tasks every pollMs
 * (TaskRowPoller) catches up when a message was lost (then the states between two re-reads
 * are seen as the latest one). A message older than what was already sent (a late pub/sub
 * message after a re-read saw a newer state) is dropped. The last event, `end`, is read from
 * Postgres and also carries the result or the error.
 *
 * Every event's id names the state it carries (event-positions.ts), the same on every
 * connection: a client that reconnects with Last-Event-ID (EventSource does by itself) gets
 * only states after that one. States passed while it was away are folded into the latest, as
 * between two re-reads; the end is never missed and nothing is sent twice.
 *
 * Streams are capped per tenant and per process (429 with Retry-After past either) and last
 * at most maxLifetimeMs.
 *
 * With an API key (not a task token) the stream also carries `log` events, the lines the
 * handler wrote, oldest first and each once: every event id then ends in the seq of the last
 * line sent, so a reconnect resumes the lines after it as well as the states. Lines come by
 * pub/sub as workers store them; the stored ones are read from Postgres on connecting, on
 * each re-read while the task runs, and before the end (a worker stores an attempt's lines
 * before its outcome), all in one queue per stream so no line is sent twice or out of order.
 */
export function taskEventsRouter(options: TaskEventsOptions): Router {
  const router = Router();
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxLifetimeMs = options.maxLifetimeMs ?? 30 * 60_000;
  const poller = new TaskRowPoller(options.db, options.pollMs ?? 2000, options.logger);

  // Also with a task token (?token=) instead of an API key: EventSource cannot send headers.
  router.get('/tasks/:id/events', async (req, res) => {
    parseQuery(req, taskTokenQuerySchema);
    const task = await loadTask(options.db, req, res);
    const admission = options.hub.admit(tenantOf(res));
    if ('refused' in admission) {
      throw new HttpError(429, 'too_many_streams', `Too many live-event streams: ${admission.refused}`, undefined, {
        'Retry-After': String(options.retryAfterSeconds ?? 5),
      });
    }
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();

    // A reconnecting client says what it saw last: nothing up to there is sent again.
    const resumed = parseEventId(req.get('last-event-id'));
    let last: EventPosition | undefined = resumed.position;
    // Log lines go to the tenant's own callers only, not to a task token (an end user's browser).
    const withLogs = (res.locals.principal as Principal).taskScope === undefined;
    let lastLogSeq = resumed.logSeq ?? 0;
    let logQueue: Promise<void> = Promise.resolve();
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    let unwatch: () => void = () => undefined;
    let unpoll: () => void = () => undefined;
    const finish = () => {
      if (closed) return;
      closed = true;
      timers.forEach(clearTimeout);
      unwatch();
      unpoll();
      untrack();
      admission.release();
      res.end();
    };
    const untrack = options.hub.trackStream(finish);
    const write = (kind: 'state' | 'end' | 'log', position: EventPosition | undefined, data: object) => {
      const id = eventIdOf(position, withLogs ? lastLogSeq : undefined);
      res.write(`id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify({ task_id: task.id, ...data })}\n\n`);
    };
    const sendLog = (line: TaskLogLine) => {
      if (closed || line.seq <= lastLogSeq) return;
      lastLogSeq = line.seq;
      write('log', last, line);
    };
    // Every log send goes through one queue: live lines, and the stored ones read from Postgres.
    const queueLogs = (work: () => Promise<void> | void) => {
      if (!withLogs) return logQueue;
      logQueue = logQueue.then(work).catch((error: unknown) => {
        options.logger.warn('could not read task log lines for a stream', { task_id: task.id, error });
      });
      return logQueue;
    };
    const catchUpLogs = () =>
      queueLogs(async () => {
        for (let more = true; more && !closed;) {
          const page = await listTaskLogs(options.db, task.id, { afterSeq: String(lastLogSeq), limit: 500 });
          page.rows.map(toTaskLogLine).forEach(sendLog);
          more = page.next !== undefined;
        }
      });
    // Worth sending: the stream is open and the state is neither the last one sent (or seen) nor older.
    const isNew = (position: EventPosition) => !closed && !samePosition(last, position) && !isBefore(position, last);
    const sendRow = (row: TaskRow) => {
      const state = fromRow(row);
      const position = positionOf(state);
      if (isNew(position)) {
        last = position;
        if (!isTerminal(row.status)) return write('state', position, state);
        // The attempt's lines were stored before its outcome: all of them come before the end.
        void catchUpLogs().then(() => {
          if (closed) return;
          write('end', position, { ...state, result: row.status === 'SUCCESS' ? row.result : null, error: row.error ?? null });
          finish();
        });
        return;
      }
      // A client that reconnects after it saw the end is told nothing more, and the stream closes.
      if (isTerminal(row.status)) void logQueue.then(finish);
    };
    const reread = async () => {
      const row = await findTask(options.db, task.id).catch(() => undefined);
      if (row) sendRow(row);
    };
    const sendPublished = (event: TaskEvent | TaskLogEvent) => {
      if ('kind' in event) {
        const { kind: _kind, task_id: _task, ...line } = event;
        return void queueLogs(() => sendLog(line));
      }
      const { task_id: _id, ...state } = event;
      const position = positionOf(state);
      if (!isNew(position)) return;
      // The end comes from Postgres, with the result: the worker published it after committing.
      if (isTerminal(state.status)) return void reread();
      last = position;
      write('state', position, state);
    };
    req.on('close', finish);

    // Subscribe before reading, so no change falls between the read and the subscription.
    unwatch = await options.hub.watch(task.id, sendPublished);
    if (closed) return unwatch();
    sendRow(task);
    if (!isTerminal(task.status)) await catchUpLogs();
    await reread();
    if (closed) return; // Already ended: nothing to leave behind.
    // Each re-read also reads the lines a lost pub/sub message did not bring (while the task runs).
    unpoll = poller.add(task.id, (row) => {
      sendRow(row);
      if (!isTerminal(row.status)) void catchUpLogs();
    });
    timers.push(setInterval(() => !closed && res.write(': keep-alive\n\n'), heartbeatMs));
    timers.push(
      setTimeout(() => {
        if (!closed) res.write(': this stream reached its longest lifetime; reconnect to go on\n\n');
        finish();
      }, maxLifetimeMs),
    );
  });

  return router;
}
