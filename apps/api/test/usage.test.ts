import { CostTracker } from '@conveyor/cost-tracker';
import request from 'supertest';
import { type Harness, quietLogger, startHarness } from './helpers';

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

it("GET /usage shows the caller's spend this period: total, by action, reserved, remaining, cap", async () => {
  const empty = await request(h.app)
    .get('/api/v1/usage')
    .set({ Authorization: `Bearer ${h.keyA}` });
  expect(empty.status).toBe(200);
  expect(empty.body).toMatchObject({ plan: 'trial', cap_usd: 5, spent_usd: 0, reserved_usd: 0, remaining_usd: 5, by_action: [] });

  const tenantA = h.tenantA;
  const tracker = new CostTracker(h.db, quietLogger());
  const spent = (await tracker.reserve(tenantA, 0.5, { ttlMs: 60_000 }))!;
  await tracker.settle(spent, {
    actionType: 'generate_draft',
    modelUsed: 'anthropic/claude-sonnet-4',
    promptTokens: 100,
    completionTokens: 400,
    costUsd: 0.12,
  });
  await tracker.reserve(tenantA, 0.3, { ttlMs: 60_000 });

  const res = await request(h.app)
    .get('/api/v1/usage')
    .set({ Authorization: `Bearer ${h.keyA}` });
  expect(res.body).toMatchObject({ spent_usd: 0.12, reserved_usd: 0.3, by_action: [{ action_type: 'generate_draft', calls: 1, cost_usd: 0.12 }] });
  expect(res.body.remaining_usd).toBeCloseTo(4.58, 8);
  // Tenant B sees only its own (empty) period.
  const other = await request(h.app)
    .get('/api/v1/usage')
    .set({ Authorization: `Bearer ${h.keyB}` });
  expect(other.body).toMatchObject({ plan: 'growth', cap_usd: 40, spent_usd: 0, by_action: [] });
});
