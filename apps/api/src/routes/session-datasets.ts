import { listNodesQuerySchema, moveHeadBodySchema, nodeRowsQuerySchema, uploadDatasetQuerySchema } from '@conveyor/contracts';
import { type Database, type Principal, listNodes, moveHead, readRows } from '@conveyor/db';
import { type Logger, createDatasetMetrics } from '@conveyor/observability';
import { type Request, type Response, Router } from 'express';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { cursorOf } from '../cursor';
import { HttpError, validationError } from '../http-error';
import { loadSession, loadSessionNode } from '../load-session';
import { tenantOf } from '../middleware/authenticate';
import { parseQuery } from '../query';
import { toNodeView, toRowsView, toSessionView } from '../session-view';
import { type UploadLimits, closingUnlessRead, refuseDeclaredSize, uploadDataset, uploadFormatOf } from '../upload-dataset';
import type { TenantSlots } from '../tenant-slots';

export interface SessionDatasetDeps {
  db: Kysely<Database>;
  uploadLimits: UploadLimits;
  uploads: TenantSlots;
  retryAfterSeconds: number;
  registry: Registry;
  logger: Logger;
}

/** A session's data: upload a dataset, its versions (nodes) and their rows, and moving its head among them. */
export function sessionDatasetsRouter(deps: SessionDatasetDeps): Router {
  const router = Router();
  const metrics = createDatasetMetrics(deps.registry);

  // The body is read here and nowhere before: authentication and the rate limit ran already,
  // and no body parser takes these content types (jsonBody reads application/json only).
  const upload = async (req: Request, res: Response) => {
    const session = await loadSession(deps.db, req, res);
    const format = uploadFormatOf(req);
    const query = parseQuery(req, uploadDatasetQuerySchema);
    const principal = res.locals.principal as Principal;
    const maxBytes = deps.uploadLimits[principal.isAdmin ? 'admin' : (principal.plan ?? 'trial')];
    refuseDeclaredSize(req, maxBytes);
    const slot = deps.uploads.take(session.tenant_id);
    if ('refused' in slot) {
      const why =
        slot.refused === 'tenant'
          ? `this tenant already has ${slot.held} upload(s) in progress (at most ${deps.uploads.limits.perTenant})`
          : 'this server has as many uploads in progress as it takes';
      throw new HttpError(429, 'too_many_uploads', `Too many uploads at once: ${why}; retry when one has finished`, undefined, {
        'Retry-After': String(deps.retryAfterSeconds),
      });
    }
    try {
      const node = await uploadDataset(deps.db, req, { tenantId: tenantOf(res), sessionId: session.id, format, filename: query.filename, maxBytes });
      metrics.versions.inc({ origin: 'upload' });
      metrics.rows.inc({ origin: 'upload' }, node.row_count);
      metrics.uploadBytes.inc(node.source?.bytes ?? 0);
      deps.logger.info('dataset uploaded', { session_id: session.id, node_id: node.id, rows: node.row_count, bytes: node.source?.bytes, format });
      res.status(201).location(`/api/v1/sessions/${session.id}/nodes/${node.id}`).json(toNodeView(node, node.id));
    } finally {
      slot.release();
    }
  };

  router.post('/sessions/:id/datasets', async (req, res) => {
    try {
      await upload(req, res);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 400 || status === 413 || status === 429) metrics.uploadsRefused.inc({ status: String(status) });
      throw closingUnlessRead(req, error);
    }
  });

  router.get('/sessions/:id/nodes', async (req, res) => {
    const session = await loadSession(deps.db, req, res);
    const query = parseQuery(req, listNodesQuerySchema);
    const page = await listNodes(deps.db, tenantOf(res), session.id, { after: cursorOf(query.cursor), limit: query.limit });
    res.json({ nodes: page.rows.map((node) => toNodeView(node, session.head_node_id)), next_cursor: page.next ?? null });
  });

  router.get('/sessions/:id/nodes/:node_id', async (req, res) => {
    const { session, node } = await loadSessionNode(deps.db, req, res);
    res.json(toNodeView(node, session.head_node_id));
  });

  router.get('/sessions/:id/nodes/:node_id/rows', async (req, res) => {
    const { node } = await loadSessionNode(deps.db, req, res);
    const query = parseQuery(req, nodeRowsQuerySchema);
    const rows = query.offset < node.row_count ? await readRows(deps.db, node.id, query.offset, query.limit) : [];
    res.json(toRowsView(node, query, rows));
  });

  router.post('/sessions/:id/head', async (req, res) => {
    const session = await loadSession(deps.db, req, res);
    const body = moveHeadBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'head move');
    const moved = await moveHead(deps.db, tenantOf(res), session.id, body.data.node_id);
    if (!moved) {
      throw new HttpError(
        404,
        'node_not_found',
        `No node ${body.data.node_id} in session ${session.id}; GET /api/v1/sessions/${session.id}/nodes lists its nodes`,
        [{ path: 'node_id', message: 'not a node of this session' }],
      );
    }
    res.json(toSessionView(moved));
  });

  return router;
}
