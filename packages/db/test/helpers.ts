import { type TestDatabase, createTestDatabase } from '@conveyor/testkit';
import type { Kysely } from 'kysely';
import { type Database, createDb, migrateUrl, schemaFingerprint } from '../src';

/** This file's own migrated database and a Kysely on it. */
export async function openTestDb(): Promise<{ testDb: TestDatabase; db: Kysely<Database>; close: () => Promise<void> }> {
  const testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const db = createDb(testDb.url, { max: 20 });
  return { testDb, db, close: async () => { await db.destroy(); await testDb.drop(); } };
}
