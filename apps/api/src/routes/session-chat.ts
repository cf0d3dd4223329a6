import { chatBodySchema, listMessagesQuerySchema } from '@conveyor/contracts';
import { listSessionMessages } from '@conveyor/db';
import { Router } from 'express';
import { sequenceCursorOf } from '../cursor';
import { validationError } from '../http-error';
import { loadSession } from '../load-session';
import { tenantOf } from '../middleware/authenticate';
import { parseQuery } from '../query';
import { toMessageView } from '../session-view';
import { submitChatMessage } from '../submit-chat';
import type { SubmitDeps } from '../submit-tasks';

/** A session's chat: send a message (a request to change its data), read the conversation so far. */
export function sessionChatRouter(deps: SubmitDeps): Router {
  const router = Router();

  router.post('/sessions/:id/chat', async (req, res) => {
    const session = await loadSession(deps.db, req, res);
    const body = chatBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'chat message');
    const task = await submitChatMessage(deps, tenantOf(res), session.id, body.data.message);
    res.status(202).location(`/api/v1/tasks/${task.id}`).json({ task_id: task.id, status: 'PENDING', message: 'Task queued for processing' });
  });

  router.get('/sessions/:id/messages', async (req, res) => {
    const session = await loadSession(deps.db, req, res);
    const query = parseQuery(req, listMessagesQuerySchema);
    const page = await listSessionMessages(deps.db, tenantOf(res), session.id, { after: sequenceCursorOf(query.cursor), limit: query.limit });
    res.json({ messages: page.rows.map(toMessageView), next_cursor: page.next ?? null });
  });

  return router;
}
