import { TaskPolicies } from '@conveyor/contracts';
import type { Database } from '@conveyor/db';
import { createTestRedis, deleteKeysWithPrefix, uniquePrefix } from '@conveyor/testkit';
import type { Kysely } from 'kysely';
import { FollowUpTasks, TaskProducer } from '../src';
import { openTestDb, taskRow } from './helpers';

let db: Kysely<Database>;
let tenantId: string;
let close: () => Promise<void>;
const prefix = uniquePrefix('followups');
const redis = createTestRedis();
const producer = new TaskProducer(redis, prefix);
const followUps = () => new FollowUpTasks(db, producer, new TaskPolicies());

beforeAll(async () => ({ db, tenantId, close } = await openTestDb()));
afterAll(async () => {
  await producer.close();
  redis.disconnect();
  await deleteKeysWithPrefix(prefix);
  await close();
});

describe('tasks submitted from a handler', () => {
  it('are committed, then enqueued with their delay; the same key again is the same task', async () => {
    const [id] = await followUps().submit(tenantId, [{ task: 'ping', payload: {}, idempotencyKey: 'k1', delayMs: 60_000 }]);
    const row = await taskRow(db, id!);
    expect(row).toMatchObject({ task: 'ping', queue: 'monitoring', status: 'PENDING', idempotency_key: 'k1' });
    expect(row.run_at!.getTime()).toBeGreaterThan(Date.now() + 30_000);
    const job = await producer.queue('monitoring').getJob(id!);
    expect(await job!.getState()).toBe('delayed');

    // A retried attempt asks again: no second task, no second job.
    expect(await followUps().submit(tenantId, [{ task: 'ping', payload: {}, idempotencyKey: 'k1', delayMs: 60_000 }])).toEqual([id]);
    expect(await db.selectFrom('tasks').select('id').where('idempotency_key', '=', 'k1').execute()).toHaveLength(1);
  });

  it('checks payloads against the catalog like any submission', async () => {
    await expect(followUps().submit(tenantId, [{ task: 'test_task', payload: { message: '' }, idempotencyKey: 'bad' }])).rejects.toThrow();
    expect(await db.selectFrom('tasks').select('id').where('idempotency_key', '=', 'bad').execute()).toHaveLength(0);
  });
});
