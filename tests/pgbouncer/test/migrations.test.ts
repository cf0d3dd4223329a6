import { MIGRATIONS, createDb, migrateToLatest, migrateUrl, migrationNames } from '@conveyor/db';
import { type PrivatePgbouncer, type TestDatabase, createEmptyDatabase, startPrivatePgbouncer } from '@conveyor/testkit';
import { sql } from 'kysely';
import { Client } from 'pg';

// Migrations through PgBouncer in transaction mode. A session-level advisory lock (ours
// before, and Kysely's migrator's own) is taken on one server connection and "released" on
// another, so it stays held and the next migration waits on it for ever. They now run in one
// transaction under a transaction-level lock.

let pgbouncer: PrivatePgbouncer;
let empty: TestDatabase;
let admin: Client;
beforeAll(async () => {
  pgbouncer = await startPrivatePgbouncer({ poolSize: 4 });
  empty = await createEmptyDatabase();
  admin = new Client({ connectionString: empty.url });
  await admin.connect();
}, 60_000);
afterAll(async () => {
  await admin.end();
  await pgbouncer.stop();
  await empty.drop();
}, 30_000);

/** Advisory locks anyone holds in the test database, read directly (not through the pooler). */
async function advisoryLocks(): Promise<number> {
  const { rows } = await admin.query(
    "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
  );
  return rows[0].n;
}

async function appliedMigrations(): Promise<string[]> {
  const exists = await admin.query("select to_regclass('kysely_migration') is not null as present");
  if (!exists.rows[0].present) return [];
  return (await admin.query('select name from kysely_migration order by name')).rows.map((r: { name: string }) => r.name);
}

it('a failed migration through the pooler applies nothing, reports its own error and leaves no lock behind', async () => {
  const db = createDb(pgbouncer.urlFor(empty.url), { max: 1 });
  try {
    const broken = { ...MIGRATIONS, '9999_broken': { up: async (db: any) => void (await sql`select 1 / 0`.execute(db)) } };
    await expect(migrateToLatest(db, broken)).rejects.toThrow(/division by zero/);
  } finally {
    await db.destroy();
  }
  expect(await appliedMigrations()).toEqual([]);
  expect(await advisoryLocks()).toBe(0);
});

// A hang is the failure here: bounded by the test's timeout.
it('runs from four processes at once through the pooler, then again, and ends in the latest schema with no lock held', async () => {
  const pooled = pgbouncer.urlFor(empty.url);
  await Promise.all(Array.from({ length: 4 }, () => migrateUrl(pooled)));
  expect(await appliedMigrations()).toEqual(migrationNames());
  expect(await advisoryLocks()).toBe(0);
  await migrateUrl(pooled);
  expect(await appliedMigrations()).toEqual(migrationNames());
  expect(await advisoryLocks()).toBe(0);
}, 60_000);
