import { PassThrough } from 'node:stream';
import { llmEnvSchema, parseEnv } from '@conveyor/config';
import { DEFAULT_ROUTES, PREFLIGHT_PROMPT_TOKENS, PermanentError, preflightWorstCaseUsd } from '@conveyor/contracts';
import { CostTracker } from '@conveyor/cost-tracker';
import { type Database, createDb, createTenantWithKey, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { DEFAULT_PRICES, createInferenceRouter } from '@conveyor/inference';
import { createLogger } from '@conveyor/observability';
import { DEFAULT_SIM_MODELS, LlmSimulator } from '@conveyor/sim';
import { type TestDatabase, createTestDatabase } from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import { BudgetedInference, createBudgetedInference } from '../src';

const logger = createLogger({ service: 'test', stream: new PassThrough() });
let testDb: TestDatabase;
let db: Kysely<Database>;
beforeAll(async () => {
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  // The tracker writes a tenant's concurrent reserves and settles a batch at a time, but each of
  // the 200 calls refused at the cap looks for expired reservations on a connection of its own,
  // and on a busy machine the last in line may wait longer than createDb's default 3 s for one
  // ("timeout exceeded when trying to connect"). That queue is this test's own doing, so a
  // caller waits for a connection as long as it takes; the test's timeout bounds it.
  db = createDb(testDb.url, { max: 30, connectionTimeoutMillis: 0 });
});
afterAll(async () => {
  await db.destroy();
  await testDb.drop();
});

describe('200 concurrent LLM calls on one tenant', () => {
  // Prices ×1000 in both the simulator and the router, so that real spend, not only the
  // reservations, runs into the $5 trial cap.
  const sim = new LlmSimulator(DEFAULT_SIM_MODELS.map((m) => ({ ...m, promptPrice: m.promptPrice * 1000, completionPrice: m.completionPrice * 1000 })));
  let baseUrl: string;
  beforeAll(async () => (baseUrl = await sim.listen()));
  afterAll(() => sim.close());

  it('never records spend above the cap; the calls that do not fit end PLAN_LIMIT_REACHED', async () => {
    const prices = Object.fromEntries(Object.entries(DEFAULT_PRICES).map(([m, p]) => [m, { prompt: p.prompt * 1000, completion: p.completion * 1000 }]));
    // The simulator answers at once; the inference timeout (the product's default) is only a
    // bound for a hang, never a race with a slow machine.
    const router = createInferenceRouter(
      { baseUrl, apiKey: 'k', timeoutMs: 60_000, priceOverrides: prices, routeOverrides: { score_post: { maxTokens: 60 } } },
      logger,
    );
    const tracker = new CostTracker(db, logger);
    const llm = new BudgetedInference(router, tracker);
    const tenantId = (await createTenantWithKey(db, { name: 'b', plan: 'trial' })).tenant.id;
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        llm
          .complete({
            tenantId,
            task: 'score_post',
            actionType: 'score_post',
            campaignId: 'c1',
            messages: [{ role: 'user', content: `Score post number ${i} for clarity and hook.` }],
          })
          .then(
            (r) => ({ ok: true as const, cost: r.cost_usd }),
            (e: { code?: string; message?: string }) => ({ ok: false as const, code: e.code, message: e.message }),
          ),
      ),
    );
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused.length).toBeGreaterThan(0);
    // Every call either ran or was refused by the plan; anything else is shown with its message.
    expect(refused.filter((o) => !o.ok && o.code !== 'PLAN_LIMIT_REACHED')).toEqual([]);
    const recorded = await sql<{
      total: string;
      calls: number;
    }>`select coalesce(sum(cost_usd), 0) as total, count(*)::int as calls from usage_tracking where tenant_id = ${tenantId}`.execute(db);
    const total = Number(recorded.rows[0]!.total);
    expect(total).toBeLessThanOrEqual(5);
    expect(recorded.rows[0]!.calls).toBe(outcomes.length - refused.length);
    const budget = (
      await sql<{
        spent: string;
        reserved: string;
      }>`select spent_usd as spent, reserved_usd as reserved from tenant_budgets where tenant_id = ${tenantId}`.execute(db)
    ).rows[0]!;
    expect(Number(budget.spent)).toBeCloseTo(total, 6);
    expect(Number(budget.reserved)).toBe(0);
    const usage = await tracker.usage(tenantId);
    expect(usage).toMatchObject({
      plan: 'trial',
      cap_usd: 5,
      reserved_usd: 0,
      by_action: [{ action_type: 'score_post', calls: outcomes.length - refused.length }],
    });
    expect(usage.remaining_usd).toBeCloseTo(5 - total, 6);
  }, 120_000);
});

describe('createBudgetedInference, from the LLM config its app loaded', () => {
  const sim = new LlmSimulator();
  let baseUrl: string;
  beforeAll(async () => (baseUrl = await sim.listen()));
  afterAll(() => sim.close());

  it('checks the routed models against the provider, then calls through the budget and files the usage', async () => {
    const env = parseEnv(llmEnvSchema, { OPENROUTER_BASE_URL: baseUrl, OPENROUTER_API_KEY: 'sk-sim' });
    const llm = await createBudgetedInference(env, { db, logger });
    const tenantId = (await createTenantWithKey(db, { name: 'c', plan: 'growth' })).tenant.id;
    const result = await llm.complete({ tenantId, task: 'score_post', actionType: 'score_post', messages: [{ role: 'user', content: 'Score this post.' }] });
    const usage = await db.selectFrom('usage_tracking').select(['action_type', 'model_used']).where('tenant_id', '=', tenantId).execute();
    expect(usage).toEqual([{ action_type: 'score_post', model_used: result.model_used }]);
  });

  it("sends OPENROUTER_REFERER and OPENROUTER_TITLE as the provider's attribution headers, on the model list and every call", async () => {
    const attribution = (headers: Record<string, unknown>) => [headers['http-referer'], headers['x-title']];
    const lists = sim.modelListRequests.length;
    const chats = sim.requests.length;
    const tenantId = (await createTenantWithKey(db, { name: 'attributed', plan: 'growth' })).tenant.id;
    const call = { tenantId, task: 'score_post', actionType: 'score_post', messages: [{ role: 'user' as const, content: 'Score this post.' }] };
    const configured = {
      OPENROUTER_BASE_URL: baseUrl,
      OPENROUTER_API_KEY: 'sk-sim',
      OPENROUTER_REFERER: 'https://jobs.example.com',
      OPENROUTER_TITLE: 'Acme Jobs',
    };
    await (await createBudgetedInference(parseEnv(llmEnvSchema, configured), { db, logger })).complete(call);
    await (
      await createBudgetedInference(parseEnv(llmEnvSchema, { OPENROUTER_BASE_URL: baseUrl, OPENROUTER_API_KEY: 'sk-sim' }), { db, logger })
    ).complete(call);
    expect(sim.modelListRequests.slice(lists).map((r) => attribution(r.headers))).toEqual([
      ['https://jobs.example.com/', 'Acme Jobs'],
      [undefined, 'Conveyor'],
    ]);
    expect(sim.requests.slice(chats).map((r) => attribution(r.headers))).toEqual([
      ['https://jobs.example.com/', 'Acme Jobs'],
      [undefined, 'Conveyor'],
    ]);
  });

  it('refuses to start on a route to a model the provider does not list, unless VERIFY_MODELS=false', async () => {
    const unknown = {
      OPENROUTER_BASE_URL: baseUrl,
      OPENROUTER_API_KEY: 'sk-sim',
      INFERENCE_ROUTES: '{"score_post":{"model":"vendor/nowhere","fallbacks":[]}}',
      MODEL_PRICES: '{"vendor/nowhere":{"prompt":1,"completion":1}}',
    };
    await expect(createBudgetedInference(parseEnv(llmEnvSchema, unknown), { db, logger })).rejects.toThrow(/vendor\/nowhere/);
    await expect(createBudgetedInference(parseEnv(llmEnvSchema, { ...unknown, VERIFY_MODELS: 'false' }), { db, logger })).resolves.toBeInstanceOf(
      BudgetedInference,
    );
  });
});

describe('per-action plan limits (PLAN_ACTION_LIMITS), through the same reservation', () => {
  const sim = new LlmSimulator();
  let baseUrl: string;
  beforeAll(async () => (baseUrl = await sim.listen()));
  afterAll(() => sim.close());

  it('fails the call past the limit with PLAN_LIMIT_REACHED naming it, before the model is called', async () => {
    const env = parseEnv(llmEnvSchema, { OPENROUTER_BASE_URL: baseUrl, OPENROUTER_API_KEY: 'sk-sim', PLAN_ACTION_LIMITS: '{"growth":{"score_post":2}}' });
    const llm = await createBudgetedInference(env, { db, logger });
    const tenantId = (await createTenantWithKey(db, { name: 'limited', plan: 'growth' })).tenant.id;
    const call = () => llm.complete({ tenantId, task: 'score_post', actionType: 'score_post', messages: [{ role: 'user', content: 'Score this post.' }] });
    await call();
    await call();
    const refused = await call().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PermanentError);
    expect(refused).toMatchObject({ code: 'PLAN_LIMIT_REACHED', message: 'plan growth allows 2 score_post calls per billing period; 2 used' });
    // The refused call never reached the model: two calls, two usage rows, nothing held.
    const rows = await db.selectFrom('usage_tracking').select('action_type').where('tenant_id', '=', tenantId).execute();
    expect(rows).toHaveLength(2);
    const held = await db.selectFrom('budget_reservations').select('id').where('tenant_id', '=', tenantId).where('status', '=', 'held').execute();
    expect(held).toEqual([]);
  });
});

describe("the pre-flight's worst case (GET /usage/check) is the reservation's", () => {
  it('prices each LLM task as the router reserves a call of its dearest kind with a prompt of PREFLIGHT_PROMPT_TOKENS', () => {
    const router = createInferenceRouter({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', timeoutMs: 1000 }, logger);
    // estimateTokens: (characters + 8 per message) / 4.
    const prompt = [{ role: 'user' as const, content: 'x'.repeat(PREFLIGHT_PROMPT_TOKENS * 4 - 8) }];
    const book = { routes: DEFAULT_ROUTES, prices: DEFAULT_PRICES };
    expect(preflightWorstCaseUsd(book, 'generate_draft')).toBe(router.worstCaseCostUsd('generate_draft', prompt, 1));
    expect(preflightWorstCaseUsd(book, 'score_post')).toBe(router.worstCaseCostUsd('score_post', prompt, 2));
    // A chat message is a conversation's reply or, in a dataset session, a structured program: the dearer.
    const chat = Math.max(router.worstCaseCostUsd('process_chat_message', prompt, 1), router.worstCaseCostUsd('dataset_transformation', prompt, 2));
    expect(preflightWorstCaseUsd(book, 'process_chat_message')).toBe(chat);
    expect(chat).toBe(router.worstCaseCostUsd('dataset_transformation', prompt, 2));
  });
});
