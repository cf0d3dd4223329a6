import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type Database, createDb, createTenantWithKey, createTasks, findTaskWithCostsForTenant } from '../src';
import { openTestDb } from './helpers';

let setup: Awaited<ReturnType<typeof openTestDb>>;
let db: Kysely<Database>;
let tenantId: string;

beforeAll(async () => {
  setup = await openTestDb();
  // One connection, so the second round runs on the connection that prepared the first.
  db = createDb(setup.testDb.url, { max: 1 });
  tenantId = (await createTenantWithKey(db, { name: 'rolling', plan: 'trial' })).tenant.id;
});
afterAll(async () => {
  await db.destroy();
  await setup.close();
});

const row = (key?: string) => ({
  id: randomUUID(),
  tenant_id: tenantId,
  task: 'ping',
  queue: 'monitoring',
  payload: {},
  max_attempts: 1,
  idempotency_key: key,
});

describe('prepared task statements across a migration that adds a column (a rolling upgrade)', () => {
  it('keep submitting and reading on a connection that prepared them before the column existed', async () => {
    const round = async (n: number) => {
      const [plain] = await createTasks(db, [row()]);
      const [keyed] = await createTasks(db, [row(`key-${n}`)]);
      expect(plain!.status).toBe('PENDING');
      expect(keyed!.idempotency_key).toBe(`key-${n}`);
      expect((await findTaskWithCostsForTenant(db, plain!.id, tenantId))?.row.id).toBe(plain!.id);
    };
    await round(1);
    await sql`alter table tasks add column added_by_a_later_release text`.execute(setup.db);
    await round(2);
  });
});
