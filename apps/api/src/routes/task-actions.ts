import type { Database } from '@conveyor/db';
import { retryFailedTask } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { TaskEventPublisher, TaskProducer } from '@conveyor/queue';
import type { TaskPolicies } from '@conveyor/contracts';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { HttpError } from '../http-error';
import { loadTask } from '../load-task';
import { tenantOf } from '../middleware/authenticate';
import { enqueueReplayed } from '../replay-dead-letters';
import { revokeAndNotify } from '../revoke-task';

export interface TaskActionDeps {
  db: Kysely<Database>;
  producer: TaskProducer;
  events: TaskEventPublisher;
  policies: TaskPolicies;
  logger: Logger;
}

/** POST /tasks/{id}/cancel and /retry. */
export function taskActionsRouter(deps: TaskActionDeps): Router {
  const router = Router();

  router.post('/tasks/:id/cancel', async (req, res) => {
    const task = await loadTask(deps.db, req, res);
    const result = await revokeAndNotify(deps, task, tenantOf(res));
    if (result.outcome === 'not_found') throw new HttpError(404, 'task_not_found', `No task ${task.id}`);
    if (result.outcome === 'finished') throw new HttpError(409, 'task_finished', `Task already ended in ${result.row.status}; nothing to cancel`);
    res.json({ task_id: task.id, status: 'REVOKED', message: result.running ? 'Revoked; the running attempt is being aborted' : 'Revoked before it started' });
  });

  router.post('/tasks/:id/retry', async (req, res) => {
    const task = await loadTask(deps.db, req, res);
    const requeued = await retryFailedTask(deps.db, task.id, tenantOf(res), deps.policies);
    if (!requeued) throw new HttpError(409, 'task_not_failed', `Only a task in FAILURE can be retried; this one is ${task.status}`);
    const enqueued = await enqueueReplayed(deps, [requeued]);
    res
      .status(202)
      .json({ task_id: task.id, status: 'PENDING', enqueued, message: enqueued ? 'Task queued again' : 'Task will be queued again once Redis is reachable' });
  });

  return router;
}
