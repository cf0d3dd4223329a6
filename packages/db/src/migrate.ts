import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type Migration, Migrator, type MigrationResultSet } from 'kysely';
import { createDb } from './connect';
import { type MigrationPlan, type MigrationRequest, MigrationRequestError, planMigration } from './migration-plan';
import { MIGRATIONS } from './migrations';

// A fixed advisory-lock key, so that any number of processes migrating at once take turns.
const MIGRATION_LOCK = 0x0c0_17e7;

/**
 * Brings the schema to the latest migration; safe to run from several processes at once, and
 * through a pooler in transaction mode (PgBouncer's pool_mode=transaction).
 */
export function migrateToLatest(db: Kysely<any>, migrations: Record<string, Migration> = MIGRATIONS): Promise<MigrationResultSet> {
  return migrate(db, { kind: 'latest' }, { migrations });
}

/**
 * Moves the schema as the request says: to the latest migration, up or down to a named one, or
 * back a number of steps (reverting the newest first; a migration's down() drops what its up()
 * added, data included). The plan is made again under the migration lock, so a run that raced
 * another still does what its request means on the schema it finds. A request this build cannot
 * carry out (an unknown name, more steps than are applied) throws MigrationRequestError and
 * changes nothing.
 *
 * Everything happens in one transaction on one connection: a transaction-level advisory lock
 * (released by the commit or rollback, whichever server connection a pooler gave us), then
 * Kysely's migrator with its own transactions turned off. Kysely also takes a session-level
 * advisory lock of its own; inside our transaction that lock is taken and released on the
 * same server connection. When a migration fails, the transaction is rolled back to before
 * the migrator and every session lock of this connection released before the rollback, so a
 * pooled server connection never keeps Kysely's lock for the next migration to wait on. Each
 * run applies (or reverts) all its migrations or none.
 */
export async function migrate(
  db: Kysely<any>,
  request: MigrationRequest,
  options: { allowDown?: boolean; migrations?: Record<string, Migration> } = {},
): Promise<MigrationResultSet> {
  const { allowDown = true, migrations = MIGRATIONS } = options;
  return db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    try {
      await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(conn);
      await sql`savepoint before_migrations`.execute(conn);
      // After a failed migration the transaction is aborted, so Kysely's own clean-up fails too
      // and hides the migration's error: keep the first one a migration threw.
      let failure: unknown;
      const provider = { getMigrations: async () => recordingFailures(migrations, (error) => (failure ??= error)) };
      const migrator = new Migrator({ db: conn, provider, disableTransactions: true });
      const plan = planMigration(Object.keys(migrations).sort(), await appliedNames(migrator), request);
      // The schema may have moved since the caller looked: never roll back what was not confirmed.
      if (plan.direction === 'down' && !allowDown)
        throw new MigrationRequestError(`the schema changed meanwhile: this would now roll back ${plan.migrations.join(', ')}`);
      const result = await migrator.migrateTo(plan.target);
      if (result.error) {
        await sql`rollback to savepoint before_migrations`.execute(conn);
        await sql`select pg_advisory_unlock_all()`.execute(conn);
        throw failure ?? result.error;
      }
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}

/**
 * What migrate() would do with the request on the schema as it is now, without changing it:
 * for the CLI to show a rollback before it is confirmed.
 */
export async function previewMigration(db: Kysely<any>, request: MigrationRequest, migrations: Record<string, Migration> = MIGRATIONS): Promise<MigrationPlan> {
  return planMigration(Object.keys(migrations).sort(), await appliedMigrations(db, migrations), request);
}

/** The names of the migrations the database has applied, oldest first. */
export async function appliedMigrations(db: Kysely<any>, migrations: Record<string, Migration> = MIGRATIONS): Promise<string[]> {
  return appliedNames(new Migrator({ db, provider: { getMigrations: async () => migrations } }));
}

async function appliedNames(migrator: Migrator): Promise<string[]> {
  return (await migrator.getMigrations()).filter((m) => m.executedAt).map((m) => m.name);
}

function recordingFailures(migrations: Record<string, Migration>, record: (error: unknown) => void): Record<string, Migration> {
  const recorded =
    (fn: Migration['up']): Migration['up'] =>
    async (db) => {
      try {
        await fn(db);
      } catch (error) {
        record(error);
        throw error;
      }
    };
  return Object.fromEntries(Object.entries(migrations).map(([name, m]) => [name, { up: recorded(m.up), down: m.down && recorded(m.down) }]));
}

/** The names of the migrations this build knows, in order. */
export function migrationNames(): string[] {
  return Object.keys(MIGRATIONS).sort();
}

/**
 * Identifies the schema this build migrates to: changes when any migration is added or
 * edited. Test helpers key their template database on it.
 */
export function schemaFingerprint(): string {
  const hash = createHash('sha256');
  for (const name of migrationNames()) hash.update(name).update(String(MIGRATIONS[name]!.up)).update(String(MIGRATIONS[name]!.down));
  return hash.digest('hex').slice(0, 16);
}

/** Migrates the database at url to the latest migration and closes the connection: for scripts and test templates. */
export async function migrateUrl(url: string): Promise<void> {
  await withMigrationDb(url, (db) => migrateToLatest(db));
}

/** Runs fn on a one-connection pool to url (as the migration CLI connects), then closes it. */
export async function withMigrationDb<T>(url: string, fn: (db: Kysely<any>) => Promise<T>): Promise<T> {
  const db = createDb(url, { max: 1, applicationName: 'conveyor-migrate' });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}
