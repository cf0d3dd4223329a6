import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { QUEUE_NAMES } from '@conveyor/contracts';
import type { TaskProducer } from '@conveyor/queue';
import { type Express, Router } from 'express';
import { authenticate } from '../middleware/authenticate';
import { requireAdmin } from '../middleware/require-admin';
import type { ConsoleSessions } from '../console-sessions';
import type { PrincipalCache } from '../principal-cache';
import type { AuthFailures } from '../middleware/auth-failures';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * The BullMQ dashboard (bull-board) of every queue, for admin keys only: a browser signs in
 * with HTTP Basic auth, any user name and the admin key as password. It is read-only:
 * Postgres is the source of truth, so replays and cancels go through the API, which writes
 * there first (a retry pressed in BullMQ alone would not bring a failed task back). Jobs hold
 * only task ids, so it shows no payload.
 */
/** Mount at DASHBOARD_PATH. */
export function queueDashboardRouter(deps: {
  producer: TaskProducer;
  principals: PrincipalCache;
  failures?: AuthFailures;
  sessions?: ConsoleSessions;
}): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(deps.producer.queue(name), { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Conveyor queues' } },
  });
  // bull-board serves from an Express app of its own, which would announce itself.
  const board = serverAdapter.getRouter() as Express;
  board.disable('x-powered-by');
  // Mounted at its path, so API requests pass it with one prefix check.
  return Router().use(authenticate(deps.principals, { basicRealm: 'Conveyor admin', failures: deps.failures, sessions: deps.sessions }), requireAdmin, board);
}
