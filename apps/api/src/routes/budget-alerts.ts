import { DEFAULT_BUDGET_ALERT_THRESHOLDS, putBudgetAlertBodySchema } from '@conveyor/contracts';
import { deleteBudgetAlert, getBudgetAlert, listBudgetAlertDeliveries, putBudgetAlert } from '@conveyor/cost-tracker';
import type { Database } from '@conveyor/db';
import { SafeFetchError, checkFetchableUrl } from '@conveyor/integrations';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { HttpError, validationError } from '../http-error';
import { tenantOf } from '../middleware/authenticate';

export interface BudgetAlertRouteDeps {
  db: Kysely<Database>;
  /** BUDGET_ALERT_ALLOW_HOSTS: webhook hosts exempt from the private-address check (an operator setting). */
  budgetAlertAllowHosts?: readonly string[];
}

const noAlert = () =>
  new HttpError(404, 'budget_alert_not_found', 'No budget alert webhook is set; set one with PUT /api/v1/budget-alerts {"url": "https://…"}');

/**
 * The tenant's budget alert webhook (README.md, "Budget alerts"): set or replace it (a new
 * signing secret each time, shown only in PUT's answer), read it, remove it, and list what
 * was sent. The URL must reach a public address now, and is checked again at each delivery.
 */
export function budgetAlertsRouter(deps: BudgetAlertRouteDeps): Router {
  const router = Router();

  router.put('/budget-alerts', async (req, res) => {
    const body = putBudgetAlertBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'budget alert');
    await checkFetchableUrl(body.data.url, { allowHosts: deps.budgetAlertAllowHosts }).catch((error: unknown) => {
      if (!(error instanceof SafeFetchError)) throw error;
      throw new HttpError(400, 'webhook_url_refused', `url refused: ${error.message}; a budget alert webhook must be reachable at a public address`, [
        { path: 'url', message: error.message },
      ]);
    });
    res.json(await putBudgetAlert(deps.db, tenantOf(res), { url: body.data.url, thresholds: body.data.thresholds ?? DEFAULT_BUDGET_ALERT_THRESHOLDS }));
  });

  router.get('/budget-alerts', async (_req, res) => {
    const alert = await getBudgetAlert(deps.db, tenantOf(res));
    if (!alert) throw noAlert();
    res.json(alert);
  });

  router.delete('/budget-alerts', async (_req, res) => {
    if (!(await deleteBudgetAlert(deps.db, tenantOf(res)))) throw noAlert();
    res.status(204).end();
  });

  router.get('/budget-alerts/deliveries', async (_req, res) => {
    res.json(await listBudgetAlertDeliveries(deps.db, tenantOf(res)));
  });
  return router;
}
