import {
  type TaskPolicies,
  getTaskDefinition,
  replayOneBodySchema,
  taskIdSchema,
  tenantDeadLettersQuerySchema,
  tenantReplayBodySchema,
} from '@conveyor/contracts';
import { type Database, acknowledgeDeadLetter, deadLetterGroups, findOpenDeadLetter, listDeadLetters, payloadsOf, replayDeadLetter } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { TaskProducer } from '@conveyor/queue';
import { type Request, type Response, Router } from 'express';
import type { Kysely } from 'kysely';
import { cursorOf } from '../cursor';
import { HttpError, validationError } from '../http-error';
import { tenantOf } from '../middleware/authenticate';
import { parseQuery } from '../query';
import { enqueueReplayed, replayAndEnqueue } from '../replay-dead-letters';
import { deadLetterView } from '../dead-letter-view';

export interface DeadLetterDeps {
  db: Kysely<Database>;
  producer: TaskProducer;
  policies: TaskPolicies;
  logger: Logger;
}

/** The dead letter named by :task_id; 400 for a malformed id. */
function taskIdOf(req: Request): string {
  const id = taskIdSchema.safeParse(req.params.task_id);
  if (!id.success) throw new HttpError(400, 'invalid_task_id', `"${String(req.params.task_id).slice(0, 64)}" is not a task id (a UUID)`);
  return id.data;
}

const noDeadLetter = (id: string) =>
  new HttpError(404, 'dead_letter_not_found', `No open dead letter for task ${id}: it is not yours, did not fail for good, or was replayed or discarded`);

/**
 * A tenant's own dead letters: list, groups, replay (some, all of a filter, or one with an
 * edited payload) and discard. The replays go through the admin routes' code (replayAndEnqueue).
 */
export function deadLettersRouter(deps: DeadLetterDeps): Router {
  const router = Router();

  router.get('/dead-letters', async (req, res) => {
    const query = parseQuery(req, tenantDeadLettersQuerySchema);
    const tenantId = tenantOf(res);
    const page = await listDeadLetters(deps.db, {
      tenantId,
      task: query.task,
      errorCode: query.error_code,
      openOnly: true,
      after: cursorOf(query.cursor),
      limit: query.limit,
    });
    const payloads = await payloadsOf(
      deps.db,
      tenantId,
      page.rows.map((r) => r.task_id),
    );
    res.json({ dead_letters: page.rows.map((r) => deadLetterView(r, payloads.get(r.task_id))), next_cursor: page.next ?? null });
  });

  router.get('/dead-letters/groups', async (_req, res) => {
    const groups = await deadLetterGroups(deps.db, tenantOf(res));
    res.json({ groups: groups.map((g) => ({ ...g, last_failed_at: g.last_failed_at.toISOString() })) });
  });

  router.post('/dead-letters/replay', async (req, res) => {
    const tenantId = tenantOf(res);
    const body = tenantReplayBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'replay request');
    const b = body.data;
    const filter = b.task_ids ? { tenantId, openOnly: true, taskIds: b.task_ids } : { tenantId, openOnly: true, task: b.task, errorCode: b.error_code };
    const { taskIds, enqueued } = await replayAndEnqueue(deps, filter);
    const replayed = new Set(taskIds);
    const notReplayed = [...new Set((b.task_ids ?? []).map((id) => id.toLowerCase()))].filter((id) => !replayed.has(id));
    res.status(202).json({ replayed: taskIds.length, task_ids: taskIds, not_replayed: notReplayed, enqueued });
  });

  router.post('/dead-letters/:task_id/replay', async (req: Request, res: Response) => {
    const tenantId = tenantOf(res);
    const taskId = taskIdOf(req);
    const body = replayOneBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'replay request: send {} or {"payload": {...}}');
    const letter = await findOpenDeadLetter(deps.db, tenantId, taskId);
    if (!letter) throw noDeadLetter(taskId);
    let payload: unknown;
    if (body.data.payload !== undefined) {
      const definition = getTaskDefinition(letter.task);
      if (!definition) throw new HttpError(409, 'task_not_offered', `Task ${letter.task} is no longer offered here; it cannot be replayed`);
      const checked = definition.payload.safeParse(body.data.payload);
      if (!checked.success) throw validationError(checked.error, `payload for ${letter.task}`, 'payload');
      payload = checked.data;
    }
    const requeued = await replayDeadLetter(deps.db, { tenantId, taskId, payload }, deps.policies);
    if (!requeued) throw noDeadLetter(taskId);
    const enqueued = await enqueueReplayed(deps, [requeued]);
    deps.logger.info('dead letter replayed', { task_id: taskId, edited_payload: payload !== undefined });
    res.status(202).json({
      task_id: requeued.id,
      status: 'PENDING',
      enqueued,
      message: enqueued ? 'Task queued again' : 'Task will be queued again once Redis is reachable',
    });
  });

  router.delete('/dead-letters/:task_id', async (req, res) => {
    const taskId = taskIdOf(req);
    if (!(await acknowledgeDeadLetter(deps.db, tenantOf(res), taskId))) throw noDeadLetter(taskId);
    res.status(204).end();
  });

  return router;
}
