import { createEmptyDatabase } from '@conveyor/testkit';
import { sql } from 'kysely';
import { createDb, migrateUrl, migrationNames } from '../src';

describe('migrations', () => {
  it('are safe to run from several processes at once and end in the latest schema', async () => {
    const empty = await createEmptyDatabase();
    try {
      await Promise.all(Array.from({ length: 5 }, () => migrateUrl(empty.url)));
      const db = createDb(empty.url);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
      expect(applied.rows.map((r) => r.name)).toEqual(migrationNames());
      const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public' order by 1`.execute(db);
      expect(tables.rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(['api_keys', 'tasks', 'tenants']));
      await db.destroy();
    } finally {
      await empty.drop();
    }
  });
});
