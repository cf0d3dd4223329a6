import type { Database } from '@conveyor/db';
import { runReadinessChecks } from '@conveyor/observability';
import { Router } from 'express';
import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import type { Registry } from 'prom-client';

/** /healthz (alive), /readyz (Postgres and Redis answer), /metrics (Prometheus). */
export function healthRouter(deps: { db: Kysely<Database>; redis: Redis; registry: Registry }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await runReadinessChecks({ postgres: () => sql`select 1`.execute(deps.db), redis: () => deps.redis.ping() });
    res.status(report.ok ? 200 : 503).json({ status: report.ok ? 'ready' : 'not_ready', ...report });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return router;
}
