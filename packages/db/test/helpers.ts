import { type TestDatabase, createTestDatabase } from '@conveyor/testkit';
import type { Kysely } from 'kysely';
import { type Database, createDb, migrateUrl, schemaFingerprint } from '../src';

/** This file's own migrated database and a Kysely on it. */
export async function openTestDb(): Promise<{ testDb: TestDatabase; db: Kysely<Database>; close: () => Promise<void> }> {
  const testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  // Tests send hundreds of concurrent queries to these 20 connections; on a busy machine the
  // last in line waited past createDb's default 3 s for one ("timeout exceeded when trying to
  // connect"). That queue is the tests' own doing: a query waits for a connection as long as
  // it takes, and each test's timeout bounds a hang.
  const db = createDb(testDb.url, { max: 20, connectionTimeoutMillis: 0 });
  return {
    testDb,
    db,
    close: async () => {
      await db.destroy();
      await testDb.drop();
    },
  };
}
