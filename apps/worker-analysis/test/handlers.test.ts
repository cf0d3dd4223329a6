import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { LLM_TASK_CALLS, TaskPolicies } from '@conveyor/contracts';
import { CostTracker } from '@conveyor/cost-tracker';
import { type Database, createDb, createTenantWithKey, insertTask, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { DEFAULT_PRICES, createInferenceRouter } from '@conveyor/inference';
import { type BudgetedCall, BudgetedInference } from '@conveyor/llm';
import { createLogger } from '@conveyor/observability';
import { groupCommitWritesFor, runTaskJob } from '@conveyor/queue';
import { DEFAULT_SIM_MODELS, LlmSimulator } from '@conveyor/sim';
import { type TestDatabase, createTestDatabase } from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import { analysisHandlers } from '../src/handlers';

const logger = createLogger({ service: 'test', stream: new PassThrough() });
const sim = new LlmSimulator();
let testDb: TestDatabase;
let db: Kysely<Database>;
let handlers: ReturnType<typeof analysisHandlers>;

/** Every budgeted call the handlers make, as GET /usage/check must price it: its action, route and whether it is structured. */
const calls: { action: string; route: string; structured: boolean }[] = [];
class RecordingInference extends BudgetedInference {
  override complete<T>(call: BudgetedCall<T>) {
    calls.push({ action: call.actionType, route: call.task, structured: call.schema !== undefined });
    return super.complete(call);
  }
}

beforeAll(async () => {
  const baseUrl = await sim.listen();
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  db = createDb(testDb.url);
  const router = createInferenceRouter({ baseUrl, apiKey: 'sk-sim', timeoutMs: 5000 }, logger);
  handlers = analysisHandlers(new RecordingInference(router, new CostTracker(db, logger)), db);
});
afterAll(async () => {
  await sim.close();
  await db.destroy();
  await testDb.drop();
});

async function run(task: string, payload: unknown, plan: 'trial' | 'growth' = 'growth') {
  const tenantId = (await createTenantWithKey(db, { name: 't', plan })).tenant.id;
  const row = await insertTask(db, { id: randomUUID(), tenant_id: tenantId, task, queue: 'analysis', payload, max_attempts: 1 });
  const outcome = await runTaskJob(
    { writes: groupCommitWritesFor(db), queue: 'analysis', handlers: handlers as never, policies: new TaskPolicies(), logger },
    { task_id: row.id },
  );
  const done = await db.selectFrom('tasks').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
  return { outcome, done, tenantId };
}

describe('analysis tasks through the runtime, the router and the budget', () => {
  it('classify_archetype returns an archetype, the model used and the cost, and records usage with the campaign', async () => {
    const { outcome, done, tenantId } = await run('classify_archetype', {
      text: 'Three things I learned shipping our first product.',
      campaign_id: 'launch-2026',
    });
    expect(outcome).toEqual({ kind: 'success' });
    expect(done.result).toMatchObject({
      archetype: expect.any(String),
      confidence: expect.any(Number),
      model_used: 'anthropic/claude-3-haiku',
      cost_usd: expect.any(Number),
    });
    const usage = await db.selectFrom('usage_tracking').selectAll().where('tenant_id', '=', tenantId).execute();
    expect(usage).toEqual([
      expect.objectContaining({ action_type: 'classify_archetype', campaign_id: 'launch-2026', model_used: 'anthropic/claude-3-haiku', task_id: done.id }),
    ]);
    const sent = sim.requests.at(-1)!.body as { messages: { role: string; content: string }[]; response_format: { type: string } };
    expect(sent.messages[1]).toEqual({ role: 'user', content: 'Three things I learned shipping our first product.' });
    expect(sent.response_format.type).toBe('json_schema');
  });

  it('score_post and extract_patterns answer in their contracts', async () => {
    const score = await run('score_post', { text: 'Stop writing long intros.' });
    expect(score.done).toMatchObject({ status: 'SUCCESS', result: { score: expect.any(Number), reasons: expect.any(Array) } });
    const patterns = await run('extract_patterns', { posts: ['Hook one. Lesson.', 'Hook two. Lesson.'] });
    expect(patterns.done).toMatchObject({ status: 'SUCCESS', result: { patterns: expect.any(Array) } });
  });

  it("makes only the calls LLM_TASK_CALLS lists for each task, which the API's pre-flight check prices", async () => {
    calls.length = 0;
    await run('classify_archetype', { text: 'A post.' });
    await run('score_post', { text: 'A post.' });
    await run('extract_patterns', { posts: ['Hook one. Lesson.', 'Hook two. Lesson.'] });
    expect(calls.map((c) => c.action)).toEqual(['classify_archetype', 'score_post', 'extract_patterns']);
    for (const { action, route, structured } of calls) expect(LLM_TASK_CALLS[action as keyof typeof LLM_TASK_CALLS]).toContainEqual({ route, structured });
  });

  it('falls back when the primary model is down and records the model actually used', async () => {
    sim.setFault('anthropic/claude-3-haiku', { status: 500 });
    try {
      const { done } = await run('score_post', { text: 'A post.' });
      expect(done.result).toMatchObject({ model_used: 'google/gemini-2.0-flash-001' });
    } finally {
      sim.clearFaults();
    }
  });

  it('200 concurrent tasks of one tenant: recorded spend never passes the cap; those refused end PLAN_LIMIT_REACHED', async () => {
    // Prices ×2000 in the simulator and the router, so that a $5 trial cap fits only some calls.
    const dear = new LlmSimulator(DEFAULT_SIM_MODELS.map((m) => ({ ...m, promptPrice: m.promptPrice * 2000, completionPrice: m.completionPrice * 2000 })));
    const baseUrl = await dear.listen();
    try {
      const prices = Object.fromEntries(Object.entries(DEFAULT_PRICES).map(([m, p]) => [m, { prompt: p.prompt * 2000, completion: p.completion * 2000 }]));
      const router = createInferenceRouter({ baseUrl, apiKey: 'sk-sim', timeoutMs: 10_000, priceOverrides: prices }, logger);
      const dearHandlers = analysisHandlers(new BudgetedInference(router, new CostTracker(db, logger)), db);
      const tenantId = (await createTenantWithKey(db, { name: 'capped', plan: 'trial' })).tenant.id;
      const ids = await Promise.all(
        Array.from(
          { length: 200 },
          async (_, i) =>
            (
              await insertTask(db, {
                id: randomUUID(),
                tenant_id: tenantId,
                task: 'classify_archetype',
                queue: 'analysis',
                payload: { text: `post ${i}` },
                max_attempts: 1,
              })
            ).id,
        ),
      );
      await Promise.all(
        ids.map((id) =>
          runTaskJob(
            { writes: groupCommitWritesFor(db), queue: 'analysis', handlers: dearHandlers as never, policies: new TaskPolicies(), logger },
            { task_id: id },
          ),
        ),
      );
      const rows = await db.selectFrom('tasks').select(['status', 'error']).where('id', 'in', ids).execute();
      const succeeded = rows.filter((r) => r.status === 'SUCCESS').length;
      const refused = rows.filter((r) => r.status === 'FAILURE');
      expect(succeeded).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      expect(succeeded + refused.length).toBe(200);
      expect(refused.every((r) => (r.error as { code?: string }).code === 'PLAN_LIMIT_REACHED')).toBe(true);
      const spend = await sql<{
        total: string;
        calls: number;
      }>`select sum(cost_usd) as total, count(*)::int as calls from usage_tracking where tenant_id = ${tenantId}`.execute(db);
      expect(Number(spend.rows[0]!.total)).toBeLessThanOrEqual(5);
      expect(spend.rows[0]!.calls).toBe(succeeded);
    } finally {
      await dear.close();
    }
  }, 60_000);

  it('ends PLAN_LIMIT_REACHED, without calling the model, when the budget is spent', async () => {
    const tenantId = (await createTenantWithKey(db, { name: 'broke', plan: 'trial' })).tenant.id;
    await sql`insert into tenant_budgets (tenant_id, period_start, cap_usd, spent_usd) select id, conveyor_period_start(billing_anchor, now()), 5, 5 from tenants where id = ${tenantId}`.execute(
      db,
    );
    const row = await insertTask(db, {
      id: randomUUID(),
      tenant_id: tenantId,
      task: 'classify_archetype',
      queue: 'analysis',
      payload: { text: 'x' },
      max_attempts: 3,
    });
    const before = sim.requests.length;
    expect(
      await runTaskJob(
        { writes: groupCommitWritesFor(db), queue: 'analysis', handlers: handlers as never, policies: new TaskPolicies(), logger },
        { task_id: row.id },
      ),
    ).toEqual({ kind: 'failure' });
    expect(sim.requests.length).toBe(before);
    const done = await db.selectFrom('tasks').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(done).toMatchObject({ status: 'FAILURE', attempt: 1, error: { type: 'PermanentError', code: 'PLAN_LIMIT_REACHED' } });
  });
});
