import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { type Database, attemptsOf, createDb, createTenantWithKey, insertTask, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { type Logger, createLogger } from '@conveyor/observability';
import { createTestDatabase } from '@conveyor/testkit';
import type { Kysely } from 'kysely';

export const quietLogger = (): Logger => createLogger({ service: 'test', stream: new PassThrough() });

export async function openTestDb() {
  const testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const db = createDb(testDb.url, { max: 20 });
  const tenantId = (await createTenantWithKey(db, { name: 'acme', plan: 'trial' })).tenant.id;
  return {
    db,
    tenantId,
    url: testDb.url,
    close: async () => {
      await db.destroy();
      await testDb.drop();
    },
  };
}

export function addTask(db: Kysely<Database>, tenantId: string, task: string, payload: unknown, maxAttempts = 1) {
  return insertTask(db, { id: randomUUID(), tenant_id: tenantId, task, queue: 'monitoring', payload, max_attempts: maxAttempts });
}

export function taskRow(db: Kysely<Database>, id: string) {
  return db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** A task's attempts (finished ones, then the running one) as attempt, outcome and error. */
export async function attemptRows(db: Kysely<Database>, id: string) {
  const row = await db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return attemptsOf(row).map(({ attempt, outcome, error }) => ({ attempt, outcome, error }));
}
