import { DEFAULT_PRICES, DEFAULT_ROUTES, LLM_TASKS, preflightWorstCaseUsd } from '@conveyor/contracts';
import { CostTracker } from '@conveyor/cost-tracker';
import { createTenantWithKey } from '@conveyor/db';
import request from 'supertest';
import { type Harness, quietLogger, startHarness } from './helpers';
import { newSession, uploaded } from './session-fixtures';

// GET /usage/check: whether one more call of an LLM task fits the remaining budget (at the worst
// case its reservation may take) and the plan's per-action limit (PLAN_ACTION_LIMITS).

const LIMITS = { trial: { generate_draft: 3 }, growth: { process_chat_message: 0 } };
let h: Harness;
beforeAll(async () => (h = await startHarness({ env: { PLAN_ACTION_LIMITS: JSON.stringify(LIMITS) } })));
afterAll(() => h.close());

const book = { routes: DEFAULT_ROUTES, prices: DEFAULT_PRICES };
const check = (task: string, key: string) =>
  request(h.app)
    .get(`/api/v1/usage/check?task=${task}`)
    .set({ Authorization: `Bearer ${key}` });

it('answers whether one more call fits and how many would, priced as the reservation prices it', async () => {
  const { apiKey } = await createTenantWithKey(h.db, { name: 'check-growth', plan: 'growth' });
  const worst = preflightWorstCaseUsd(book, 'extract_patterns');
  const res = await check('extract_patterns', apiKey);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ task: 'extract_patterns', fits: true, worst_case_usd: worst, remaining_usd: 40, calls_that_fit: Math.floor(40 / worst) });
  // A chat message may be a dataset session's structured program: priced at the dearer kind of call.
  expect((await check('process_chat_message', apiKey)).body.worst_case_usd).toBe(preflightWorstCaseUsd(book, 'process_chat_message'));
  expect(preflightWorstCaseUsd(book, 'process_chat_message')).toBeGreaterThan(preflightWorstCaseUsd(book, 'generate_draft'));
});

it('does not fit once spending leaves less than the worst case; another tenant is not affected', async () => {
  const { tenant, apiKey } = await createTenantWithKey(h.db, { name: 'check-spender', plan: 'starter' });
  const worst = preflightWorstCaseUsd(book, 'generate_draft');
  const tracker = new CostTracker(h.db, quietLogger());
  const spent = (await tracker.reserve(tenant.id, 14, { ttlMs: 60_000 }))!;
  await tracker.settle(spent, { actionType: 'generate_draft', modelUsed: 'm', promptTokens: 1, completionTokens: 1, costUsd: 14 });
  const held = (await tracker.reserve(tenant.id, 1 - worst / 2, { ttlMs: 60_000 }))!;
  const res = await check('generate_draft', apiKey);
  expect(res.body).toMatchObject({ task: 'generate_draft', fits: false, calls_that_fit: 0, worst_case_usd: worst });
  expect(res.body.remaining_usd).toBeCloseTo(worst / 2, 8);
  expect(res.body.reason).toMatch(/^the plan's spending cap leaves \$0\.\d{4} this period, less than one generate_draft call may cost \(up to \$0\.\d{4}\)$/);
  expect(res.body.limit).toBeUndefined();
  // Releasing what was held gives the room back.
  await tracker.release(held);
  expect((await check('generate_draft', apiKey)).body).toMatchObject({ fits: true, calls_that_fit: Math.floor(1 / worst) });
  // Tenant B (growth) sees only its own budget.
  expect((await check('generate_draft', h.keyB)).body).toMatchObject({ fits: true, remaining_usd: 40 });
});

it("reports the plan's per-action limit, and fits: false with the limit named once it is used up", async () => {
  const { tenant, apiKey } = await createTenantWithKey(h.db, { name: 'check-limited', plan: 'trial' });
  const first = await check('generate_draft', apiKey);
  expect(first.body).toMatchObject({ fits: true, calls_that_fit: 3, limit: { plan: 'trial', calls_per_period: 3, used: 0, remaining: 3 } });
  // The workers' reservations, with the same limits: two settled, one held.
  const tracker = new CostTracker(h.db, quietLogger(), undefined, undefined, LIMITS);
  const reservations = await Promise.all([1, 2, 3].map(() => tracker.reserve(tenant.id, 0.01, { ttlMs: 60_000, action: 'generate_draft' })));
  for (const r of reservations.slice(0, 2)) {
    await tracker.settle(r!, { actionType: 'generate_draft', modelUsed: 'm', promptTokens: 1, completionTokens: 1, costUsd: 0.005 });
  }
  const full = await check('generate_draft', apiKey);
  expect(full.body).toMatchObject({
    fits: false,
    calls_that_fit: 0,
    limit: { plan: 'trial', calls_per_period: 3, used: 3, remaining: 0 },
    reason: 'plan trial allows 3 generate_draft calls per billing period; 3 used',
  });
  await tracker.release(reservations[2]!);
  expect((await check('generate_draft', apiKey)).body).toMatchObject({ fits: true, calls_that_fit: 1, limit: { used: 2, remaining: 1 } });
  // Another task of the same tenant has no limit; tenant A's usage is not tenant B's (growth: no limit).
  expect((await check('score_post', apiKey)).body.limit).toBeUndefined();
  expect((await check('generate_draft', h.keyB)).body.limit).toBeUndefined();
});

it('refuses a missing, unknown or non-LLM task with a 400 naming the LLM tasks; an admin key without a tenant gets 403', async () => {
  const named = new RegExp(`task must be one of the tasks that call a model: ${LLM_TASKS.join(', ')}`);
  for (const query of ['', '?task=', '?task=nope', '?task=ping', '?task=apply_transformation', '?task=generate_draft&task=score_post']) {
    const res = await request(h.app)
      .get(`/api/v1/usage/check${query}`)
      .set({ Authorization: `Bearer ${h.keyA}` });
    expect([query, res.status, res.body.issues?.[0]?.path]).toEqual([query, 400, 'query.task']);
    if (query !== '?task=generate_draft&task=score_post') expect(res.body.message).toMatch(named);
  }
  const extra = await request(h.app)
    .get('/api/v1/usage/check?task=score_post&period=current')
    .set({ Authorization: `Bearer ${h.keyA}` });
  expect([extra.status, extra.body.message]).toEqual([400, expect.stringMatching(/unknown parameter; this route takes task/)]);
  expect((await check('score_post', h.adminKey)).status).toBe(403);
  expect((await request(h.app).get('/api/v1/usage/check?task=score_post')).status).toBe(401);
});

describe('a task to run now whose per-action limit is used up', () => {
  const draft = { task: 'generate_draft', payload: { brief: 'A launch post' } };
  const submit = (key: string, body: object, path = '/api/v1/tasks') =>
    request(h.app)
      .post(path)
      .set({ Authorization: `Bearer ${key}` })
      .send(body);
  const tasksOf = async (tenantId: string) => (await h.db.selectFrom('tasks').select('task').where('tenant_id', '=', tenantId).execute()).map((t) => t.task);

  it('is refused with a 429 naming the limit and keeps nothing; delayed tasks, other tasks and other tenants go on', async () => {
    const { tenant, apiKey } = await createTenantWithKey(h.db, { name: 'submit-limited', plan: 'trial' });
    const other = await createTenantWithKey(h.db, { name: 'submit-other', plan: 'trial' });
    const tracker = new CostTracker(h.db, quietLogger(), undefined, undefined, LIMITS);
    // Two calls settled, one held: within the limit of 3 a draft is still accepted.
    const usage = { actionType: 'generate_draft', modelUsed: 'm', promptTokens: 1, completionTokens: 1, costUsd: 0.001 };
    for (let i = 0; i < 2; i += 1) await tracker.settle((await tracker.reserve(tenant.id, 0.01, { ttlMs: 60_000, action: 'generate_draft' }))!, usage);
    expect((await submit(apiKey, draft)).status).toBe(202);
    const held = (await tracker.reserve(tenant.id, 0.01, { ttlMs: 60_000, action: 'generate_draft' }))!;
    const before = await tasksOf(tenant.id);

    const refused = await submit(apiKey, draft);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'action_limit_reached' });
    expect(refused.body.message).toMatch(
      /^plan trial allows 3 generate_draft calls per billing period; 3 used: generate_draft tasks that would run now are refused until this billing period ends at \d{4}-\d\d-\d\dT/,
    );
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // A batch holding one such task is refused whole, and leaves nothing behind.
    const batch = await submit(apiKey, { tasks: [{ task: 'score_post', payload: { text: 'A post' } }, draft] }, '/api/v1/tasks/batch');
    expect([batch.status, batch.body.error]).toEqual([429, 'action_limit_reached']);
    expect(await tasksOf(tenant.id)).toEqual(before);

    // A delayed draft may run in the next period; another task has no limit; another tenant has its own count.
    expect((await submit(apiKey, { ...draft, delay_ms: 60_000 })).status).toBe(202);
    expect((await submit(apiKey, { task: 'score_post', payload: { text: 'A post' } })).status).toBe(202);
    expect((await submit(other.apiKey, draft)).status).toBe(202);
    // A released call gives its place back.
    await tracker.release(held);
    expect((await submit(apiKey, draft)).status).toBe(202);
  });

  it("refuses a session's chat message the same way when its plan allows no more process_chat_message calls", async () => {
    const session = await newSession(h, h.keyB);
    await uploaded(h, session, 'email,name\na@example.com,Ann\n', { key: h.keyB });
    const res = await request(h.app)
      .post(`/api/v1/sessions/${session}/chat`)
      .set({ Authorization: `Bearer ${h.keyB}` })
      .send({ message: 'sort by name' });
    expect([res.status, res.body.error]).toEqual([429, 'action_limit_reached']);
    expect(res.body.message).toMatch(/^plan growth allows 0 process_chat_message calls per billing period; 0 used: /);
    expect(await h.db.selectFrom('tasks').select('id').where('task', '=', 'process_chat_message').execute()).toEqual([]);
    const view = await request(h.app)
      .get(`/api/v1/sessions/${session}`)
      .set({ Authorization: `Bearer ${h.keyB}` });
    expect(view.body.active_task_id).toBeNull();
  });
});
