import { Client } from 'pg';
import { TEST_ADMIN_DATABASE_URL } from './env';
import { type TemplateSpec, ensureTemplate, urlFor } from './test-database';

export interface PooledTestDatabase {
  /** Connection URL of the database, this test file's alone until release(). */
  url: string;
  name: string;
  /** Gives the database back to the pool (it is emptied by its next user, not dropped). */
  release: () => Promise<void>;
}

// pg_try_advisory_lock(class, slot): the class says "a pooled test database is held".
const POOL_LOCK_CLASS = 0x7e57_0002;
/** More slots than test files of one schema ever hold at once (Jest workers × databases per file). */
const MAX_SLOTS = 64;
/** Where a slot keeps the rows its template started with (the migrations' seed rows). */
const SEED = 'conveyor_pool_seed';
/** The migrator's own bookkeeping: kept as the template had it, never emptied. */
const KEPT = ['kysely_migration', 'kysely_migration_lock'];

const poolName = (key: string, slot: number) => `conveyor_test_pool_${key.slice(0, 40)}_${slot}`;

async function withDatabase<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A slot fresh from the template: a copy of each non-empty table's rows and of every sequence's
 * state goes into the seed schema, which resetSlot restores from.
 */
async function recordSeed(client: Client): Promise<void> {
  await client.query(`create schema ${SEED}`);
  const { rows: tables } = await client.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not (c.relname = any($1))`,
    [KEPT],
  );
  for (const { name } of tables) {
    const { rowCount } = await client.query(`select 1 from public."${name}" limit 1`);
    if (rowCount) await client.query(`create table ${SEED}."${name}" as select * from public."${name}"`);
  }
  await client.query(
    `create table ${SEED}.sequences as
       select format('%I.%I', schemaname, sequencename) as name, coalesce(last_value, start_value) as value, last_value is not null as called
         from pg_sequences where schemaname = 'public'`,
  );
}

/**
 * Empties a slot a test file used into the template's state: every table but the migrator's
 * truncated, the seed rows put back, every sequence where it started. Rows and sequences only:
 * a test file that changes the schema must use createTestDatabase instead.
 */
async function resetSlot(client: Client): Promise<boolean> {
  const { rowCount: recorded } = await client.query(`select 1 from ${SEED}.sequences limit 0`).catch(() => ({ rowCount: null }));
  if (recorded === null) return false;
  const { rows: tables } = await client.query<{ name: string; seeded: boolean }>(
    `select c.relname as name, exists (select 1 from pg_class s join pg_namespace sn on sn.oid = s.relnamespace
                                        where sn.nspname = $2 and s.relname = c.relname) as seeded
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not (c.relname = any($1))`,
    [KEPT, SEED],
  );
  await client.query('begin');
  try {
    // Seed rows go back before the rows that reference them would: no trigger or foreign key fires.
    await client.query('set local session_replication_role = replica');
    await client.query(`truncate ${tables.map((t) => `public."${t.name}"`).join(', ')} restart identity cascade`);
    for (const { name } of tables.filter((t) => t.seeded)) {
      const { rows } = await client.query<{ columns: string }>(
        `select string_agg(format('%I', column_name), ', ' order by ordinal_position) as columns
           from information_schema.columns where table_schema = 'public' and table_name = $1 and is_generated = 'NEVER'`,
        [name],
      );
      const columns = rows[0]!.columns;
      await client.query(`insert into public."${name}" (${columns}) overriding system value select ${columns} from ${SEED}."${name}"`);
    }
    await client.query(`select setval(name::regclass, value, called) from ${SEED}.sequences`);
    await client.query('commit');
    return true;
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

/**
 * A migrated database for one test file, like createTestDatabase's, from a small pool of
 * databases kept between test files instead of one created and dropped per file (on a busy
 * machine CREATE DATABASE from a template took ~1.5 s and DROP DATABASE, with its checkpoint,
 * ~0.7 s). A slot is held by a session advisory lock for as long as the file uses it, so test
 * files running at once (Jest workers, other packages, other worktrees) never share one; its
 * next holder empties it back to the template's rows first. Only for files that change rows,
 * not the schema. The pool's databases are named conveyor_test_pool_*, and are dropped with the
 * other test databases when a test run starts with no other going.
 */
export async function acquireTestDatabase(spec: TemplateSpec, adminUrl = TEST_ADMIN_DATABASE_URL): Promise<PooledTestDatabase> {
  const template = await ensureTemplate(spec, adminUrl);
  // The lock holder: open for as long as the file holds its slot.
  const holder = new Client({ connectionString: adminUrl });
  await holder.connect();
  try {
    for (let slot = 0; slot < MAX_SLOTS; slot++) {
      const name = poolName(spec.key, slot);
      const { rows } = await holder.query<{ held: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as held', [POOL_LOCK_CLASS, name]);
      if (!rows[0]!.held) continue;
      const url = urlFor(name, adminUrl);
      const { rowCount } = await holder.query('select 1 from pg_database where datname = $1', [name]);
      // Connections an earlier holder left open (a crashed file) would block the truncation.
      if (rowCount) await holder.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      if (!rowCount || !(await withDatabase(url, resetSlot))) {
        // New, or left without its seed by a holder that crashed while recording it: made afresh.
        await holder.query(`drop database if exists "${name}" with (force)`);
        await holder.query(`create database "${name}" template "${template}"`);
        await withDatabase(url, recordSeed);
      }
      return { name, url, release: () => holder.end() };
    }
    throw new Error(`every one of the ${MAX_SLOTS} pooled test databases is held`);
  } catch (error) {
    await holder.end();
    throw error;
  }
}
