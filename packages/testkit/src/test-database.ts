import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TEST_ADMIN_DATABASE_URL } from './env';

export interface TestDatabase {
  /** Connection URL of this test file's own database. */
  url: string;
  name: string;
  drop: () => Promise<void>;
}

export interface TemplateSpec {
  /** Changes whenever the schema does (e.g. a hash of the migration names). */
  key: string;
  /** Migrates the database at url to the latest schema. */
  migrate: (url: string) => Promise<void>;
}

// Serialises template creation across every Jest worker and package running at once.
const TEMPLATE_LOCK = 0x7e57_0001;

export function urlFor(database: string, adminUrl = TEST_ADMIN_DATABASE_URL): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>, adminUrl = TEST_ADMIN_DATABASE_URL): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function exists(client: Client, name: string): Promise<boolean> {
  const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
  return (rowCount ?? 0) > 0;
}

/**
 * Ensures a migrated template database for spec.key exists: migrated once under a lock, into
 * a scratch name, then renamed, so no test ever clones a half-migrated template.
 */
export async function ensureTemplate(spec: TemplateSpec, adminUrl: string): Promise<string> {
  const template = `conveyor_tpl_${spec.key}`.slice(0, 63);
  return withAdmin(async (client) => {
    if (await exists(client, template)) return template;
    await client.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      if (await exists(client, template)) return template;
      const scratch = `${template.slice(0, 50)}_build`;
      await client.query(`drop database if exists "${scratch}"`);
      await client.query(`create database "${scratch}"`);
      await spec.migrate(urlFor(scratch, adminUrl));
      await client.query(`alter database "${scratch}" rename to "${template}"`);
      return template;
    } finally {
      await client.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  }, adminUrl);
}

/**
 * A fresh database for one test file, cloned from the migrated template, on the shared test
 * server or on the server of adminUrl (a private one a fault test owns).
 */
export async function createTestDatabase(spec: TemplateSpec, adminUrl = TEST_ADMIN_DATABASE_URL): Promise<TestDatabase> {
  const template = await ensureTemplate(spec, adminUrl);
  const name = `conveyor_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`create database "${name}" template "${template}"`), adminUrl);
  return {
    name,
    url: urlFor(name, adminUrl),
    drop: () => withAdmin(async (client) => void (await client.query(`drop database if exists "${name}" with (force)`)), adminUrl),
  };
}

/** An empty database (not migrated), for tests of migration itself. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const name = `conveyor_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`create database "${name}"`));
  return {
    name,
    url: urlFor(name),
    drop: () => withAdmin(async (client) => void (await client.query(`drop database if exists "${name}" with (force)`))),
  };
}
