import { createSessionBodySchema, listSessionsQuerySchema } from '@conveyor/contracts';
import { type Database, createSession, deleteSession, listSessions } from '@conveyor/db';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { cursorOf } from '../cursor';
import { HttpError, validationError } from '../http-error';
import { loadSession } from '../load-session';
import { tenantOf } from '../middleware/authenticate';
import { parseQuery } from '../query';
import { toSessionView } from '../session-view';

export interface SessionRouteDeps {
  db: Kysely<Database>;
}

/** A tenant's dataset sessions (issue 18): create, list, read, delete. */
export function sessionsRouter(deps: SessionRouteDeps): Router {
  const router = Router();

  router.post('/sessions', async (req, res) => {
    const body = createSessionBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'session');
    const row = await createSession(deps.db, { tenantId: tenantOf(res), name: body.data.name });
    res.status(201).location(`/api/v1/sessions/${row.id}`).json(toSessionView(row));
  });

  router.get('/sessions', async (req, res) => {
    const query = parseQuery(req, listSessionsQuerySchema);
    const page = await listSessions(deps.db, tenantOf(res), { after: cursorOf(query.cursor), limit: query.limit });
    res.json({ sessions: page.rows.map(toSessionView), next_cursor: page.next ?? null });
  });

  router.get('/sessions/:id', async (req, res) => {
    res.json(toSessionView(await loadSession(deps.db, req, res)));
  });

  router.delete('/sessions/:id', async (req, res) => {
    const session = await loadSession(deps.db, req, res);
    // Its chat, its nodes and their rows go with it.
    if (!(await deleteSession(deps.db, tenantOf(res), session.id))) throw new HttpError(404, 'session_not_found', `No session ${session.id}`);
    res.status(204).end();
  });

  return router;
}
