import type { CostTracker } from '@conveyor/cost-tracker';
import { Router } from 'express';
import { tenantOf } from '../middleware/authenticate';

/** GET /usage: the caller's spend this billing period, by action, reserved, remaining, cap. */
export function usageRouter(tracker: CostTracker): Router {
  const router = Router();
  router.get('/usage', async (_req, res) => {
    res.json(await tracker.usage(tenantOf(res)));
  });
  return router;
}
