import type { RedisClient } from '@conveyor/queue';
import type { Database } from '@conveyor/db';
import { instanceId, runReadinessChecks } from '@conveyor/observability';
import { connectionChecks } from '@conveyor/service';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';

/** /healthz (alive), /readyz (Postgres and Redis answer), /metrics (Prometheus). */
export function healthRouter(deps: { db: Kysely<Database>; redis: RedisClient; registry: Registry }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', instance: instanceId() });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await runReadinessChecks(connectionChecks(deps.db, deps.redis));
    res.status(report.ok ? 200 : 503).json({ status: report.ok ? 'ready' : 'not_ready', ...report });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return router;
}

/** GET /: where things are, for a person or a client that starts at the root. */
export function rootRouter(): Router {
  return Router().get('/', (_req, res) => {
    res.json({
      name: 'Conveyor API',
      docs: '/docs',
      openapi: '/docs/openapi.json',
      api: '/api/v1',
      health: '/healthz',
      message: 'The API reference is at /docs; every route lives under /api/v1 and takes "Authorization: Bearer <key>"',
    });
  });
}
