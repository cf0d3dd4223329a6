import { nodeIdSchema, sessionIdSchema } from '@conveyor/contracts';
import { type Database, type DatasetNode, type DatasetSessionRow, findSession, nodeOfSession } from '@conveyor/db';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import { HttpError } from './http-error';
import { loadOwned } from './load-owned';
import { tenantOf } from './middleware/authenticate';

/** The caller's dataset session named by :id; 400 for a malformed id, 404 for a missing or foreign one. */
export function loadSession(db: Kysely<Database>, req: Request, res: Response): Promise<DatasetSessionRow> {
  return loadOwned(req, res, { what: 'session', idSchema: sessionIdSchema, find: (id, tenantId) => findSession(db, tenantId, id) });
}

/**
 * The caller's session named by :id and its node named by :node_id: 400 for a malformed id, 404
 * for a missing session or a node that is not that session's (another session's included).
 */
export async function loadSessionNode(db: Kysely<Database>, req: Request, res: Response): Promise<{ session: DatasetSessionRow; node: DatasetNode }> {
  const session = await loadSession(db, req, res);
  const nodeId = nodeIdSchema.safeParse(req.params.node_id);
  if (!nodeId.success) throw new HttpError(400, 'invalid_node_id', `"${String(req.params.node_id).slice(0, 64)}" is not a node id (a UUID)`);
  const node = await nodeOfSession(db, tenantOf(res), session.id, nodeId.data);
  if (!node) throw new HttpError(404, 'node_not_found', `No node ${nodeId.data} in session ${session.id}`);
  return { session, node };
}
