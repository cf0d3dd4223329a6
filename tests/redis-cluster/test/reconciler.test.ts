import { QUEUE_NAMES, TaskPolicies, tasksOfQueue } from '@conveyor/contracts';
import { type Database, createDb, createTenantWithKey, insertTask, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { createLogger } from '@conveyor/observability';
import { type RedisClient, TaskProducer, createProducerRedis, reconcileOnce } from '@conveyor/queue';
import {
  TEST_REDIS_CLUSTER_NODES,
  TEST_REDIS_URL,
  type TestDatabase,
  createTestDatabase,
  deleteKeysWithPrefix,
  parseClusterNodes,
  uniquePrefix,
  waitFor,
} from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';

// The reconciler reads the job state of tasks of every queue at once. On a cluster the queues
// live on different nodes, and one pipeline over all of them would be refused: it sends one
// pipeline per queue.

const prefix = uniquePrefix('reconcile');
let testDb: TestDatabase;
let db: Kysely<Database>;
let redis: RedisClient;
let producer: TaskProducer;

beforeAll(async () => {
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  db = createDb(testDb.url, { max: 5 });
  redis = createProducerRedis(TEST_REDIS_URL, parseClusterNodes(TEST_REDIS_CLUSTER_NODES ?? ''));
  producer = new TaskProducer(redis, prefix);
  // A producer connection queues nothing while it connects (the API answers 503 instead):
  // the test starts once the cluster client has its slot map.
  await waitFor(async () => (redis.status === 'ready' ? true : undefined), 'the cluster client to be ready', 60_000);
}, 120_000);
afterAll(async () => {
  await producer.close();
  redis.disconnect();
  await deleteKeysWithPrefix(prefix);
  await db.destroy();
  await testDb.drop();
});

it('re-enqueues the lost tasks of every queue, each into its own queue on its own node', async () => {
  const tenantId = (await createTenantWithKey(db, { name: 'acme', plan: 'trial' })).tenant.id;
  const queued = [];
  for (const queue of QUEUE_NAMES) {
    // A queue without tasks in the catalog yet still gets a row: the reconciler goes by the row's queue.
    const task = tasksOfQueue(queue)[0] ?? 'ping';
    queued.push(await insertTask(db, { id: randomUUID(), tenant_id: tenantId, task, queue, payload: {}, max_attempts: 1 }));
  }
  // Committed but never enqueued (as after a failed enqueue), and past the grace period;
  // one of them was running when its job vanished (Redis lost it).
  await sql`update tasks set updated_at = now() - interval '1 day'`.execute(db);
  const running = queued[1]!;
  await sql`update tasks set status = 'STARTED', attempt = 1, started_at = now() - interval '1 day' where id = ${running.id}`.execute(db);

  const reconcile = () =>
    reconcileOnce({
      db,
      redis,
      producer,
      policies: new TaskPolicies({}),
      logger: createLogger({ service: 'test', stream: new PassThrough() }),
      graceMs: 10_000,
    });
  expect(await reconcile()).toMatchObject({ checked: QUEUE_NAMES.length, reenqueued: QUEUE_NAMES.length - 1, requeuedRunning: 1 });
  for (const task of queued) expect(await producer.queue(task.queue).getJobState(task.id)).toBe('waiting');
  // A second pass finds every job where it is.
  expect(await reconcile()).toMatchObject({ checked: QUEUE_NAMES.length, reenqueued: 0, requeuedRunning: 0 });
});
