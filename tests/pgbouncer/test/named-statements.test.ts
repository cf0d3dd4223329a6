import { randomUUID } from 'node:crypto';
import {
  type Database,
  type DatabasePooler,
  claimTask,
  completeTask,
  createDb,
  createTenantWithKey,
  insertTasks,
  migrateUrl,
  schemaFingerprint,
} from '@conveyor/db';
import { type PrivatePgbouncer, type TestDatabase, createTestDatabase, startPrivatePgbouncer } from '@conveyor/testkit';
import type { Kysely } from 'kysely';

// The hot statements (the submission INSERT, the claim/progress/result UPDATE) run as named
// prepared statements on a direct connection. Through PgBouncer 1.18 in transaction mode a
// name prepared by one client lives on whichever server connection ran it: with one server
// connection shared by two clients, the second client's prepare of the same name collides.
// DATABASE_POOLER=transaction (createDb's pooler option) sends them unnamed instead.

let pgbouncer: PrivatePgbouncer;
let testDb: TestDatabase;
let direct: Kysely<Database>;
let tenantId: string;
const opened: Kysely<Database>[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  // One server connection, so that every client's statements meet on it.
  pgbouncer = await startPrivatePgbouncer({ poolSize: 1 });
  direct = createDb(testDb.url, { max: 2 });
  tenantId = (await createTenantWithKey(direct, { name: 'pooled', plan: 'growth' })).tenant.id;
}, 120_000);
afterAll(async () => {
  await Promise.all(opened.map((db) => db.destroy()));
  await direct.destroy();
  await pgbouncer.stop();
  await testDb.drop();
}, 30_000);

function pooledDb(pooler: DatabasePooler, max = 1): Kysely<Database> {
  const db = createDb(pgbouncer.urlFor(testDb.url), { max, pooler });
  opened.push(db);
  return db;
}

const pingRow = () => ({ id: randomUUID(), tenant_id: tenantId, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1 });

it('without the setting, a second client preparing the same statement through the pooler fails', async () => {
  const [first, second] = [pooledDb('none'), pooledDb('none')];
  await insertTasks(first, [pingRow()]);
  await expect(insertTasks(second, [pingRow()])).rejects.toThrow(/prepared statement "conveyor_insert_(new_)?tasks_v\d+" already exists/);
});

it('with DATABASE_POOLER=transaction, any number of clients submit, claim and complete through it', async () => {
  const clients = [pooledDb('transaction', 3), pooledDb('transaction', 3), pooledDb('transaction', 3)];
  const rows = Array.from({ length: 60 }, pingRow);
  await Promise.all(rows.map((row, i) => insertTasks(clients[i % 3]!, [row])));
  const claims = await Promise.all(rows.map((row, i) => claimTask(clients[(i + 1) % 3]!, row.id)));
  expect(claims.map((c) => c?.attempt)).toEqual(rows.map(() => 1));
  const done = await Promise.all(rows.map((row, i) => completeTask(clients[(i + 2) % 3]!, { id: row.id, attempt: 1, result: 'pong', retentionMs: 60_000 })));
  expect(done).toEqual(rows.map(() => true));
  const succeeded = await direct
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .where('status', '=', 'SUCCESS')
    .executeTakeFirstOrThrow();
  expect(Number(succeeded.n)).toBe(rows.length);
});
