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

/** Drops test and template databases left by earlier runs (a killed run cannot drop its own). */
export async function dropLeftoverTestDatabases(root, databaseUrl) {
  return withAdmin(root, databaseUrl, async (client) => {
    const { rows } = await client.query("select datname from pg_database where datname like 'conveyor\\_test\\_%' or datname like 'conveyor\\_tpl\\_%'");
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
    return rows.length;
  });
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
