import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { LLM_TASK_CALLS, TASK_LOG_LIMITS, TaskPolicies } from '@conveyor/contracts';
import { CostTracker } from '@conveyor/cost-tracker';
import { type Database, createDb, createTenantWithKey, insertTask, insertTaskLogs, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { createInferenceRouter } from '@conveyor/inference';
import { type BudgetedCall, BudgetedInference } from '@conveyor/llm';
import { createLogger } from '@conveyor/observability';
import { FollowUpTasks, TaskProducer, groupCommitWritesFor, runTaskJob } from '@conveyor/queue';
import { LlmSimulator } from '@conveyor/sim';
import { type TestDatabase, createTestDatabase, createTestRedis, uniquePrefix } from '@conveyor/testkit';
import type { Kysely } from 'kysely';
import { generationHandlers } from '../src/handlers';

const logger = createLogger({ service: 'test', stream: new PassThrough() });
const sim = new LlmSimulator();
let testDb: TestDatabase;
let db: Kysely<Database>;
let handlers: ReturnType<typeof generationHandlers>;

/** Every budgeted call the handlers make, as GET /usage/check must price it: its action, route and whether it is structured. */
const calls: { action: string; route: string; structured: boolean }[] = [];
class RecordingInference extends BudgetedInference {
  override complete<T>(call: BudgetedCall<T>) {
    calls.push({ action: call.actionType, route: call.task, structured: call.schema !== undefined });
    return super.complete(call);
  }
}
let tenantId: string;
let redis: ReturnType<typeof createTestRedis>;

beforeAll(async () => {
  const baseUrl = await sim.listen();
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  db = createDb(testDb.url);
  redis = createTestRedis();
  handlers = generationHandlers({
    llm: new RecordingInference(createInferenceRouter({ baseUrl, apiKey: 'sk-sim', timeoutMs: 5000 }, logger), new CostTracker(db, logger)),
    db,
    followUps: new FollowUpTasks(db, new TaskProducer(redis, uniquePrefix('generation')), new TaskPolicies()),
  });
  tenantId = (await createTenantWithKey(db, { name: 'gen', plan: 'growth' })).tenant.id;
});
afterAll(async () => {
  redis.disconnect();
  await sim.close();
  await db.destroy();
  await testDb.drop();
});

async function run(task: string, payload: unknown, tenant = tenantId) {
  const row = await insertTask(db, { id: randomUUID(), tenant_id: tenant, task, queue: 'generation', payload, max_attempts: 1 });
  await runTaskJob(
    {
      writes: groupCommitWritesFor(db),
      queue: 'generation',
      handlers: handlers as never,
      policies: new TaskPolicies(),
      logger,
      taskLogs: (batch) => insertTaskLogs(db, batch, TASK_LOG_LIMITS.linesPerTask),
    },
    { task_id: row.id },
  );
  return db.selectFrom('tasks').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
}

describe('generation tasks', () => {
  it('generate_draft writes a draft with its routed model and parameters', async () => {
    const done = await run('generate_draft', { brief: 'Announce our new scheduler', platform: 'linkedin', campaign_id: 'c-9' });
    expect(done).toMatchObject({
      status: 'SUCCESS',
      result: { draft: expect.stringContaining('Announce our new scheduler'), model_used: 'anthropic/claude-sonnet-4' },
    });
    expect(sim.requests.at(-1)!.body).toMatchObject({ max_tokens: 2000, temperature: 0.7 });
  });

  it("files the call's cost under the attempt that made it and says in the task's log which model answered, with tokens and cost", async () => {
    const done = await run('generate_draft', { brief: 'Costs per attempt', platform: 'linkedin', campaign_id: 'c-cost' });
    expect(done.status).toBe('SUCCESS');
    const usage = await db.selectFrom('usage_tracking').selectAll().where('task_id', '=', done.id).execute();
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ attempt: 1, campaign_id: 'c-cost' });
    const lines = await db.selectFrom('task_logs').selectAll().where('task_id', '=', done.id).orderBy('seq').execute();
    expect(lines).toEqual([
      expect.objectContaining({
        attempt: 1,
        level: 'info',
        message: `draft written by ${usage[0]!.model_used}`,
        fields: {
          model: usage[0]!.model_used,
          usage: { prompt: usage[0]!.prompt_tokens, completion: usage[0]!.completion_tokens },
          cost_usd: Number(usage[0]!.cost_usd),
        },
      }),
    ]);
  });

  it("makes only the calls LLM_TASK_CALLS lists for each task, which the API's pre-flight check prices", async () => {
    calls.length = 0;
    await run('generate_draft', { brief: 'A launch post' });
    await run('process_chat_message', { message: 'Plan a launch week.' });
    expect(calls.map((c) => c.action)).toEqual(['generate_draft', 'process_chat_message']);
    for (const { action, route, structured } of calls) expect(LLM_TASK_CALLS[action as keyof typeof LLM_TASK_CALLS]).toContainEqual({ route, structured });
  });

  it('process_chat_message keeps the conversation in Postgres and sends its history', async () => {
    const first = await run('process_chat_message', { message: 'Help me plan a launch week.' });
    const conversationId = (first.result as { conversation_id: string }).conversation_id;
    expect(first.status).toBe('SUCCESS');
    const second = await run('process_chat_message', { message: 'Make day two about pricing.', conversation_id: conversationId });
    expect(second.result).toMatchObject({ conversation_id: conversationId, reply: expect.any(String) });
    const sent = sim.requests.at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(sent.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(sent.messages[1]!.content).toBe('Help me plan a launch week.');
    const stored = await db.selectFrom('chat_messages').select(['role', 'content']).where('conversation_id', '=', conversationId).orderBy('id').execute();
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it("refuses another tenant's conversation", async () => {
    const first = await run('process_chat_message', { message: 'hello' });
    const other = (await createTenantWithKey(db, { name: 'other', plan: 'growth' })).tenant.id;
    const done = await run(
      'process_chat_message',
      { message: 'let me in', conversation_id: (first.result as { conversation_id: string }).conversation_id },
      other,
    );
    expect(done).toMatchObject({ status: 'FAILURE', error: { code: 'CONVERSATION_NOT_FOUND' } });
  });
});
