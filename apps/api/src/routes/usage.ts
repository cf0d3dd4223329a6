import { type PriceBook, preflightWorstCaseUsd, usageCheckQuerySchema, usageQuerySchema } from '@conveyor/contracts';
import { type CostTracker, UnknownPeriodError } from '@conveyor/cost-tracker';
import { Router } from 'express';
import { HttpError } from '../http-error';
import { tenantOf } from '../middleware/authenticate';
import { parseQuery } from '../query';

const unknownPeriod = (error: unknown): never => {
  if (error instanceof UnknownPeriodError) throw new HttpError(400, 'unknown_period', error.message, [{ path: 'query.period', message: error.message }]);
  throw error;
};

/**
 * GET /usage: the caller's spend in one billing period (the current one unless `period` names
 * another), by action, reserved, remaining, cap, and grouped by day, task, model or campaign
 * with `group_by`. GET /usage/periods: the periods with spend, newest first. GET /usage/check:
 * whether one more call of an LLM task fits the budget and the plan's per-action limit, priced
 * by the function the workers reserve with (preflightWorstCaseUsd).
 */
export function usageRouter(tracker: CostTracker, priceBook: PriceBook): Router {
  const router = Router();
  router.get('/usage', async (req, res) => {
    const query = parseQuery(req, usageQuerySchema);
    res.json(await tracker.usage(tenantOf(res), { period: query.period, groupBy: query.group_by }).catch(unknownPeriod));
  });
  router.get('/usage/periods', async (_req, res) => {
    res.json(await tracker.periods(tenantOf(res)));
  });
  router.get('/usage/check', async (req, res) => {
    const { task } = parseQuery(req, usageCheckQuerySchema);
    res.json(await tracker.check(tenantOf(res), task, preflightWorstCaseUsd(priceBook, task)));
  });
  return router;
}
