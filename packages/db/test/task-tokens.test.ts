import { randomUUID } from 'node:crypto';
import { type Kysely, Migrator, sql } from 'kysely';
import { createEmptyDatabase } from '@conveyor/testkit';
import {
  type Database,
  MIGRATIONS,
  createDb,
  createTaskToken,
  createTenantWithKey,
  deleteExpiredTaskTokens,
  findTaskToken,
  hashApiKey,
  insertTask,
} from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
beforeAll(async () => ({ db, close } = await openTestDb()));
afterAll(() => close());

async function tenantWithTask(plan: 'trial' | 'growth' = 'trial') {
  const { tenant } = await createTenantWithKey(db, { name: `tokens-${randomUUID()}`, plan });
  const task = await insertTask(db, { id: randomUUID(), tenant_id: tenant.id, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1 });
  return { tenantId: tenant.id, taskId: task.id };
}

const expire = (token: string) => sql`update task_tokens set expires_at = now() - interval '1 second' where token_hash = ${hashApiKey(token)}`.execute(db);

describe('task tokens', () => {
  it('stores only a hash and resolves a token to its task, tenant and plan until it expires', async () => {
    const { tenantId, taskId } = await tenantWithTask('growth');
    const created = (await createTaskToken(db, { taskId, tenantId, ttlSeconds: 900 }))!;
    expect(created.token).toMatch(/^cvt_[A-Za-z0-9_-]{43}$/);
    // Postgres's clock sets the expiry: 900 s after now, give or take this test's own run.
    const { rows } = await sql<{ seconds: number }>`select extract(epoch from (${created.expiresAt}::timestamptz - now()))::float as seconds`.execute(db);
    expect(rows[0]!.seconds).toBeGreaterThan(800);
    expect(rows[0]!.seconds).toBeLessThanOrEqual(900);
    expect(JSON.stringify((await sql`select * from task_tokens`.execute(db)).rows)).not.toContain(created.token);
    expect(await findTaskToken(db, created.token)).toEqual({ taskId, tenantId, plan: 'growth' });

    await expire(created.token);
    expect(await findTaskToken(db, created.token)).toBeUndefined();
  });

  it("knows nothing of an unknown token, and gives none for a task that is not the tenant's", async () => {
    expect(await findTaskToken(db, 'cvt_not-a-real-token')).toBeUndefined();
    const mine = await tenantWithTask();
    const theirs = await tenantWithTask();
    expect(await createTaskToken(db, { taskId: theirs.taskId, tenantId: mine.tenantId, ttlSeconds: 60 })).toBeUndefined();
    expect(await createTaskToken(db, { taskId: randomUUID(), tenantId: mine.tenantId, ttlSeconds: 60 })).toBeUndefined();
  });

  it('goes with its task when the task is deleted', async () => {
    const { tenantId, taskId } = await tenantWithTask();
    const { token } = (await createTaskToken(db, { taskId, tenantId, ttlSeconds: 60 }))!;
    await db.deleteFrom('tasks').where('id', '=', taskId).execute();
    expect(await db.selectFrom('task_tokens').select('token_hash').where('token_hash', '=', hashApiKey(token)).executeTakeFirst()).toBeUndefined();
  });

  it('deletes expired tokens in bounded batches and keeps live ones', async () => {
    await deleteExpiredTaskTokens(db, 1000); // what earlier tests left expired
    const { tenantId, taskId } = await tenantWithTask();
    const expired = await Promise.all([1, 2, 3].map(() => createTaskToken(db, { taskId, tenantId, ttlSeconds: 60 })));
    for (const t of expired) await expire(t!.token);
    const live = (await createTaskToken(db, { taskId, tenantId, ttlSeconds: 60 }))!;
    expect(await deleteExpiredTaskTokens(db, 2)).toBe(2);
    expect(await deleteExpiredTaskTokens(db, 2)).toBe(1);
    expect(await deleteExpiredTaskTokens(db, 2)).toBe(0);
    expect(await findTaskToken(db, live.token)).toMatchObject({ taskId });
  });
});

describe('the task tokens migration', () => {
  it('goes down and up again', async () => {
    const empty = await createEmptyDatabase();
    const scratch = createDb(empty.url);
    try {
      const migrator = new Migrator({ db: scratch, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateTo('2026_12_05_0012_task_tokens')).error).toBeUndefined();
      expect((await migrator.migrateDown()).error).toBeUndefined();
      const gone = await sql<{ name: string | null }>`select to_regclass('task_tokens')::text as name`.execute(scratch);
      expect(gone.rows[0]!.name).toBeNull();
      expect((await migrator.migrateUp()).error).toBeUndefined();
      const back = await sql<{ name: string | null }>`select to_regclass('task_tokens')::text as name`.execute(scratch);
      expect(back.rows[0]!.name).toBe('task_tokens');
    } finally {
      await scratch.destroy();
      await empty.drop();
    }
  });
});
