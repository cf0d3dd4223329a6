import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { Migrator, type MigrationResultSet } from 'kysely';
import { createDb } from './connect';
import { MIGRATIONS } from './migrations';

// A fixed advisory-lock key, so that any number of processes migrating at once take turns.
const MIGRATION_LOCK = 0x0c0_17e7;

/** Brings the schema to the latest migration; safe to run from several processes at once. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      const migrator = new Migrator({ db: conn, provider: { getMigrations: async () => MIGRATIONS } });
      const result = await migrator.migrateToLatest();
      if (result.error) throw result.error;
      return result;
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
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

/** Migrates the database at url and closes the connection: for scripts and test templates. */
export async function migrateUrl(url: string): Promise<void> {
  const db = createDb(url, { max: 1, applicationName: 'conveyor-migrate' });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}
