import { type TaskPolicies, listDeadLettersQuerySchema, replayDeadLettersBodySchema } from '@conveyor/contracts';
import { type Database, listDeadLetters } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { TaskProducer } from '@conveyor/queue';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { cursorOf } from '../cursor';
import { validationError } from '../http-error';
import { parseQuery } from '../query';
import { requireAdmin } from '../middleware/require-admin';
import { replayAndEnqueue } from '../replay-dead-letters';

/** Admin-only routes: the dead-letter table, across tenants. */
export function adminRouter(deps: { db: Kysely<Database>; producer: TaskProducer; policies: TaskPolicies; logger: Logger }): Router {
  const router = Router();
  router.use('/admin', requireAdmin);

  router.get('/admin/dead-letters', async (req, res) => {
    const query = parseQuery(req, listDeadLettersQuerySchema);
    const page = await listDeadLetters(deps.db, { task: query.task, tenantId: query.tenant_id, after: cursorOf(query.cursor), limit: query.limit });
    res.json({
      dead_letters: page.rows.map((r) => ({
        task_id: r.task_id,
        tenant_id: r.tenant_id,
        task: r.task,
        queue: r.queue,
        error: r.error,
        attempts: r.attempts,
        failed_at: r.failed_at.toISOString(),
        // Set when the tenant discarded it (DELETE /dead-letters/{id}): the tenant no longer sees it.
        acknowledged_at: r.acknowledged_at?.toISOString() ?? null,
      })),
      next_cursor: page.next ?? null,
    });
  });

  router.post('/admin/dead-letters/replay', async (req, res) => {
    const body = replayDeadLettersBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'replay request');
    const b = body.data;
    const filter = b.task_ids
      ? { taskIds: b.task_ids }
      : b.filter
        ? { task: b.filter.task, tenantId: b.filter.tenant_id, failedAfter: b.filter.failed_after }
        : {};
    const { taskIds, enqueued } = await replayAndEnqueue(deps, filter);
    res.status(202).json({ replayed: taskIds.length, task_ids: taskIds, enqueued });
  });

  return router;
}
