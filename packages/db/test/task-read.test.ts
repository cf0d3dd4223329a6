import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type Database, claimTask, createTenantWithKey, findTask, findTaskWithCostsForTenant, insertTask } from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;

beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'acme', plan: 'trial' })).tenant.id;
});
afterAll(() => close());

const add = () =>
  insertTask(db, { id: randomUUID(), tenant_id: tenantId, task: 'generate_draft', queue: 'generation', payload: { brief: 'b' }, max_attempts: 3 });

async function spend(taskId: string, attempt: number | null, usd: string) {
  await sql`insert into usage_tracking (tenant_id, task_id, attempt, action_type, model_used, prompt_tokens, completion_tokens, cost_usd, period_start)
            values (${tenantId}, ${taskId}, ${attempt}, 'generate_draft', 'sim', 1, 1, ${usd}, now())`.execute(db);
}

describe('findTaskWithCostsForTenant (the single-task read)', () => {
  it('returns the whole row, as select * reads it, and no costs for a task nobody ran', async () => {
    const task = await add();
    const found = (await findTaskWithCostsForTenant(db, task.id, tenantId))!;
    expect(found.row).toEqual(await findTask(db, task.id));
    expect(found.costs).toEqual({ totalUsd: 0, byAttempt: new Map() });
  });

  it('sums the costs by attempt; a call made outside an attempt counts in the total only', async () => {
    const task = await add();
    await claimTask(db, task.id);
    await spend(task.id, 1, '0.012500');
    await spend(task.id, 1, '0.000500');
    await spend(task.id, 2, '0.002');
    await spend(task.id, null, '0.1');
    const { costs } = (await findTaskWithCostsForTenant(db, task.id, tenantId))!;
    expect(costs.byAttempt).toEqual(
      new Map([
        [1, 0.013],
        [2, 0.002],
      ]),
    );
    expect(costs.totalUsd).toBeCloseTo(0.115, 9);
  });

  it("is undefined for another tenant's task, as for a missing one", async () => {
    const task = await add();
    const other = (await createTenantWithKey(db, { name: 'other', plan: 'trial' })).tenant.id;
    expect(await findTaskWithCostsForTenant(db, task.id, other)).toBeUndefined();
    expect(await findTaskWithCostsForTenant(db, randomUUID(), tenantId)).toBeUndefined();
  });
});
