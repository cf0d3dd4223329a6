import { QUEUE_NAMES, QUEUE_WINDOWS, TASK_STATUSES, type QueueView, type QueuesResponse, queuesQuerySchema } from '@conveyor/contracts';
import { type Database, type Principal, queueOverview } from '@conveyor/db';
import { type RedisClient, listWorkers } from '@conveyor/queue';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { requireAdmin } from '../middleware/require-admin';
import { parseQuery } from '../query';
import { DASHBOARD_PATH } from './queue-dashboard';

const zeroCounts = () => Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as QueueView['counts'];

/**
 * GET /queues: each queue's tasks by status, the age of its longest-waiting task and its
 * finished tasks over a window, from Postgres (the caller's tenant; every tenant for an admin
 * key). GET /workers (admin): the live worker processes from the registry in Redis.
 */
export function queuesRouter(deps: { db: Kysely<Database>; redis: RedisClient; prefix: string }): Router {
  const router = Router();

  router.get('/queues', async (req, res) => {
    const query = parseQuery(req, queuesQuerySchema);
    const principal = res.locals.principal as Principal;
    const { windowMs, bucketMs } = QUEUE_WINDOWS[query.window];
    const figures = await queueOverview(deps.db, { tenantId: principal.tenantId ?? undefined, queues: QUEUE_NAMES, windowMs, bucketMs });
    const queues: QueueView[] = [...figures].map(([queue, f]) => ({
      queue,
      counts: { ...zeroCounts(), ...f.counts },
      oldest_waiting_age_ms: f.oldestWaitingAgeMs,
      series: f.series,
    }));
    const body: QueuesResponse = { queues, window: query.window, bucket_ms: bucketMs, dashboard_url: DASHBOARD_PATH };
    res.json(body);
  });

  router.get('/workers', requireAdmin, async (_req, res) => {
    res.json({ workers: await listWorkers(deps.redis, deps.prefix) });
  });

  return router;
}
