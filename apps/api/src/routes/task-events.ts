import { type TaskEvent, type TaskView, isTerminal } from '@conveyor/contracts';
import { type Database, findTask } from '@conveyor/db';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { loadTask } from '../load-task';
import type { TaskEventHub } from '../task-event-hub';
import { toTaskView } from '../task-view';

export interface TaskEventsOptions {
  db: Kysely<Database>;
  hub: TaskEventHub;
  /** Milliseconds between re-reads of the task, which catch any event pub/sub lost. */
  pollMs?: number;
  /** Milliseconds between keep-alive comments. */
  heartbeatMs?: number;
}

type Snapshot = Pick<TaskView, 'status' | 'progress' | 'message' | 'attempts'>;
const sameState = (a: Snapshot | undefined, b: Snapshot) =>
  a !== undefined && a.status === b.status && a.progress === b.progress && a.message === b.message && a.attempts === b.attempts;

/**
 * GET /tasks/{id}/events: server-sent events of every state and progress change until the
 * task ends. The stream starts with the current state, so a client that connects after the
 * end gets the final state and the stream closes.
 */
export function taskEventsRouter(options: TaskEventsOptions): Router {
  const router = Router();
  const pollMs = options.pollMs ?? 2000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;

  router.get('/tasks/:id/events', async (req, res) => {
    const task = await loadTask(options.db, req, res);
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();

    let last: Snapshot | undefined;
    let sequence = 0;
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    let unwatch: () => void = () => undefined;
    const finish = () => {
      if (closed) return;
      closed = true;
      timers.forEach(clearInterval);
      unwatch();
      untrack();
      res.end();
    };
    const untrack = options.hub.trackStream(finish);
    const send = (state: Snapshot & Partial<TaskEvent | TaskView>) => {
      if (closed || sameState(last, state)) return;
      last = state;
      sequence += 1;
      res.write(`id: ${sequence}\nevent: ${isTerminal(state.status) ? 'end' : 'state'}\ndata: ${JSON.stringify({ task_id: task.id, ...state })}\n\n`);
      if (isTerminal(state.status)) finish();
    };
    const reread = async () => {
      const row = await findTask(options.db, task.id).catch(() => undefined);
      if (row) send(toTaskView(row));
    };
    req.on('close', finish);

    // Subscribe before reading, so no change falls between the read and the subscription.
    unwatch = await options.hub.watch(task.id, (event) => send(event));
    if (closed) return unwatch();
    send(toTaskView(task));
    await reread();
    if (closed) return; // Already ended: no timers to leave behind.
    timers.push(setInterval(() => void reread(), pollMs));
    timers.push(setInterval(() => !closed && res.write(': keep-alive\n\n'), heartbeatMs));
  });

  return router;
}
