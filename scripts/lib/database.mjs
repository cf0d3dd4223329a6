import { createRequire } from 'node:module';
import path from 'node:path';
import { adminUrlOf } from './env.mjs';

// pg comes from the db package's dependencies, which exist once pnpm install has run.
function pg(root) {
  return createRequire(path.join(root, 'packages', 'db', 'package.json'))('pg');
}

async function withAdmin(root, databaseUrl, fn) {
  const client = new (pg(root).Client)({ connectionString: adminUrlOf(databaseUrl) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the database named in databaseUrl when it does not exist. */
export async function ensureDatabase(root, databaseUrl) {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  await withAdmin(root, databaseUrl, async (client) => {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database "${name.replace(/"/g, '""')}"`);
  });
}

/** Advisory lock every `npm test` run holds (shared) on the test server for as long as it runs. */
const TEST_RUNS_LOCK = 0x7e57_0002;

/**
 * Begins a test run on the server: a session holding TEST_RUNS_LOCK shared until end(), so
 * that other runs know this one is going. Then, only when no other run holds it, drops the
 * test and template databases earlier runs left (a killed run cannot drop its own). With
 * another run going nothing is dropped: its databases, in use, look just like leftovers (that
 * drop, WITH (FORCE), used to kill the other run's connections and templates mid-run).
 * Resolves to {dropped, concurrent, end}.
 */
export async function beginTestRun(root, databaseUrl, { prefixes = ['conveyor_test_', 'conveyor_tpl_'], lockKey = TEST_RUNS_LOCK } = {}) {
  const client = new (pg(root).Client)({ connectionString: adminUrlOf(databaseUrl) });
  client.on('error', () => undefined); // losing the session only ends the mark, it must not end the run
  await client.connect();
  await client.query('select pg_advisory_lock_shared($1)', [lockKey]);
  // A session's own shared lock does not stand in the way of its exclusive one; any other's does.
  const { rows } = await client.query('select pg_try_advisory_lock($1) as alone', [lockKey]);
  let dropped = 0;
  if (rows[0].alone) {
    try {
      const patterns = prefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`);
      const leftovers = await client.query('select datname from pg_database where datname like any($1::text[])', [patterns]);
      for (const { datname } of leftovers.rows) await client.query(`drop database if exists "${datname.replace(/"/g, '""')}" with (force)`);
      dropped = leftovers.rows.length;
    } finally {
      await client.query('select pg_advisory_unlock($1)', [lockKey]);
    }
  }
  return { dropped, concurrent: !rows[0].alone, end: () => client.end().catch(() => undefined) };
}

/** True when the key still authenticates in this database. */
export async function keyIsValid(root, databaseUrl, apiKey) {
  const { hashApiKey } = createRequire(import.meta.url)(path.join(root, 'packages', 'db', 'dist', 'index.js'));
  const client = new (pg(root).Client)({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from api_keys where key_hash = $1 and revoked_at is null', [hashApiKey(apiKey)]);
    return rowCount > 0;
  } finally {
    await client.end();
  }
}
