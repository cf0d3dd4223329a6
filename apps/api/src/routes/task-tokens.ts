import { createTaskTokenBodySchema } from '@conveyor/contracts';
import { type Database, createTaskToken } from '@conveyor/db';
import { type Request, Router } from 'express';
import type { Kysely } from 'kysely';
import { HttpError, validationError } from '../http-error';
import { loadTask } from '../load-task';
import { tenantOf } from '../middleware/authenticate';

/** The body when there is one: a body the JSON parser left unread (not JSON) is refused, not ignored. */
function optionalJsonBody(req: Request): unknown {
  if (req.body !== undefined) return req.body;
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody) throw new HttpError(400, 'invalid_body', 'Send the body as JSON with Content-Type: application/json, or send no body');
  return {};
}

/**
 * POST /tasks/{id}/tokens: a short-lived token that reads this one task with ?token= on GET
 * /tasks/{id}, /result and /events, for a browser whose EventSource cannot send an API key.
 */
export function taskTokensRouter(deps: { db: Kysely<Database> }): Router {
  const router = Router();

  router.post('/tasks/:id/tokens', async (req, res) => {
    const task = await loadTask(deps.db, req, res);
    const body = createTaskTokenBodySchema.safeParse(optionalJsonBody(req));
    if (!body.success) throw validationError(body.error, 'request body');
    const created = await createTaskToken(deps.db, { taskId: task.id, tenantId: tenantOf(res), ttlSeconds: body.data.ttl_seconds });
    // Deleted between the read and the insert (retention): as missing as it now is.
    if (!created) throw new HttpError(404, 'task_not_found', `No task ${task.id}`);
    // The answer holds a secret: no cache keeps it.
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({
        token: created.token,
        task_id: task.id,
        expires_at: created.expiresAt.toISOString(),
        events_url: `/api/v1/tasks/${task.id}/events?token=${created.token}`,
      });
  });

  return router;
}
