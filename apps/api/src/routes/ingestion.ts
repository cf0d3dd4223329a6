import {
  INGESTION_SOURCES,
  type IngestionSourceName,
  SYSTEM_TENANT_ID,
  isIngestionSource,
  listIngestionRecordsQuerySchema,
  listIngestionRunsQuerySchema,
  patchIngestionSourceBodySchema,
  runIngestionBodySchema,
} from '@conveyor/contracts';
import {
  databaseNow,
  findIngestionSourceSchedule,
  listIngestionRecords,
  listIngestionRuns,
  listIngestionSourceStates,
  updateIngestionSourceSchedule,
} from '@conveyor/db';
import { type Request, Router } from 'express';
import { cursorOf, recordCursorOf } from '../cursor';
import { HttpError, validationError } from '../http-error';
import { nextCadenceRun } from '../ingestion-cadence';
import type { IngestionSetup } from '../ingestion-setup';
import { toRecordView, toRunView, toSourceView } from '../ingestion-views';
import { requireAdmin } from '../middleware/require-admin';
import { parseQuery } from '../query';
import { type SubmitDeps, submitTasks } from '../submit-tasks';

/** Where the ingestion routes live under /api/v1; server.ts puts the admin check there before any body is read. */
export const INGESTION_PATH = '/ingestion';

/** The source a path names, or a 404 that lists the sources there are. */
function sourceOf(req: Request): IngestionSourceName {
  const name = String(req.params.source);
  if (isIngestionSource(name)) return name;
  throw new HttpError(404, 'source_not_found', `No ingestion source "${name.slice(0, 64)}"; the sources are ${INGESTION_SOURCES.join(', ')}`);
}

/**
 * Ingestion's admin routes (admin key only): the sources with their state, switching one on or
 * off and changing its cadence, running one now, the audit trail of runs, and the records.
 */
export function ingestionRouter(deps: SubmitDeps & { setup: IngestionSetup }): Router {
  const router = Router();
  // Also checked here, so that the router is never open wherever it is mounted.
  router.use(INGESTION_PATH, requireAdmin);

  router.get(`${INGESTION_PATH}/sources`, async (_req, res) => {
    await deps.setup.ready();
    const states = await listIngestionSourceStates(deps.db);
    res.json({ sources: states.filter((s) => isIngestionSource(s.source)).map(toSourceView) });
  });

  router.patch(`${INGESTION_PATH}/sources/:source`, async (req, res) => {
    const source = sourceOf(req);
    const body = patchIngestionSourceBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'source change');
    const { enabled, cadence } = body.data;
    await deps.setup.ready();
    let schedule = await findIngestionSourceSchedule(deps.db, source);
    if (!schedule) {
      // Its schedule was deleted by hand: set it up again, as start-up would.
      await deps.setup.repair();
      schedule = await findIngestionSourceSchedule(deps.db, source);
    }
    if (!schedule) throw new HttpError(409, 'source_not_set_up', `Source ${source} could not be set up just now; retry in a moment`);
    // A new cadence, or switching on, starts from now: times missed while off are not fired.
    const turnsOn = enabled === true && !schedule.enabled;
    const nextRunAt = cadence !== undefined || turnsOn ? nextCadenceRun(cadence ?? schedule.cron!, await databaseNow(deps.db)) : undefined;
    await updateIngestionSourceSchedule(deps.db, source, { enabled, cron: cadence, nextRunAt });
    const [state] = await listIngestionSourceStates(deps.db, source);
    res.json(toSourceView(state!));
  });

  // By hand, whether the source is enabled or not: a task of the system tenant, like a scheduled run's.
  router.post(`${INGESTION_PATH}/:source/run`, async (req, res) => {
    const source = sourceOf(req);
    const body = runIngestionBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'run request');
    await deps.setup.ready();
    const payload = { source, ...(body.data.window ? { window: body.data.window } : {}) };
    const [submitted] = await submitTasks(deps, SYSTEM_TENANT_ID, [{ task: 'ingest_source', payload }], () => undefined);
    const { row } = submitted!;
    res.status(202).json({
      task_id: row.id,
      status: row.status,
      source,
      window: body.data.window ?? null,
      message: `Run of ${source} accepted; its outcome shows in GET /api/v1/ingestion/runs?source=${source}`,
    });
  });

  router.get(`${INGESTION_PATH}/runs`, async (req, res) => {
    const query = parseQuery(req, listIngestionRunsQuerySchema);
    const page = await listIngestionRuns(deps.db, { source: query.source, status: query.status, after: cursorOf(query.cursor), limit: query.limit });
    res.json({ runs: page.rows.map(toRunView), next_cursor: page.next ?? null });
  });

  router.get(`${INGESTION_PATH}/:source/records`, async (req, res) => {
    const source = sourceOf(req);
    const query = parseQuery(req, listIngestionRecordsQuerySchema);
    const after = recordCursorOf(query.cursor);
    const page = await listIngestionRecords(deps.db, {
      source,
      from: query.from,
      to: query.to,
      country: query.country,
      series_id: query.series_id,
      after,
      limit: query.limit,
    });
    res.json({ records: page.rows.map(toRecordView), next_cursor: page.next ?? null });
  });

  return router;
}
