// What a benchmark's tasks cost Postgres, statement by statement and row by row, in a scratch
// database of its own (the server is shared, and pg_stat_statements is not loaded on it):
//  - rows inserted, updated (heap-only or not) and deleted per table, from pg_stat_user_tables;
//  - transactions and blocks read from the database's statistics (pg_stat_database);
//  - the WAL its relations took, by record type (bench/postgres-cost.mjs, pg_walinspect), so
//    Btree/INSERT_LEAF counts the index entries;
//  - with `statements`, every statement the apps ran, from the server's log: the database is
//    set to log each one with its duration (log_min_duration_statement = 0, without its
//    parameters), for the sessions that connect after start(). Costly: a run for counting, not
//    for timing.
// Statistics reach the views when a backend ends or idles, so stop() is for after the apps
// have stopped.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './lib.mjs';
import { walMark, walSince } from './postgres-cost.mjs';

const { Client } = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'))('pg');
const SERVER_LOG = process.env.POSTGRES_LOG ?? '/var/log/postgresql/postgresql-15-main.log';

const TABLES = `select relname as name, n_tup_ins as inserted, n_tup_upd as updated, n_tup_hot_upd as hot, n_tup_del as deleted
                  from pg_stat_user_tables`;
const DATABASE = `select xact_commit as commits, blks_read, blks_hit, tup_returned, tup_fetched
                    from pg_stat_database where datname = current_database()`;

async function snapshot(client) {
  const tables = Object.fromEntries((await client.query(TABLES)).rows.map((r) => [r.name, r]));
  return { tables, database: (await client.query(DATABASE)).rows[0] };
}

const perTask = (n, count) => Number((Number(n) / count).toFixed(3));

/** Starts accounting for the database at `url`; call before the apps connect. */
export async function startAccounting(url, { statements = false } = {}) {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query('create extension if not exists pg_walinspect');
  const name = (await client.query('select current_database() as name')).rows[0].name;
  let logOffset;
  if (statements) {
    await client.query(`alter database ${name} set log_min_duration_statement = 0`);
    await client.query(`alter database ${name} set log_parameter_max_length = 0`);
    logOffset = fs.statSync(SERVER_LOG).size;
  }
  const before = await snapshot(client);
  const mark = await walMark(client, `acct_${Math.random().toString(16).slice(2, 10)}`);
  return { client, name, before, mark, logOffset };
}

/**
 * What `count` tasks cost since start(), per task: rows by table, commits, blocks, WAL of the
 * database (bytes and records by type) and, when asked, the statements by text.
 */
export async function stopAccounting(acct, count) {
  const { client, name, before, mark, logOffset } = acct;
  try {
    await new Promise((r) => setTimeout(r, 500)); // the last backends' statistics
    const after = await snapshot(client);
    const wal = await walSince(client, mark);
    const tables = {};
    for (const [table, row] of Object.entries(after.tables)) {
      const was = before.tables[table] ?? { inserted: 0, updated: 0, hot: 0, deleted: 0 };
      const diff = Object.fromEntries(['inserted', 'updated', 'hot', 'deleted'].map((k) => [k, perTask(row[k] - was[k], count)]));
      if (Object.values(diff).some((v) => v !== 0)) tables[table] = diff;
    }
    const database = Object.fromEntries(Object.keys(after.database).map((k) => [k, perTask(after.database[k] - before.database[k], count)]));
    const walTypes = Object.fromEntries(
      Object.entries(wal.by_type).map(([type, t]) => [
        type,
        { records: perTask(t.records, count), bytes: perTask(t.bytes, count), fpi: perTask(t.fpi, count) },
      ]),
    );
    const result = { tables, database, wal_bytes: perTask(wal.database_bytes, count), wal_cluster_bytes: perTask(wal.cluster_bytes, count), wal: walTypes };
    if (logOffset !== undefined) result.statements = statementsFromLog(name, logOffset, count);
    return result;
  } finally {
    if (logOffset !== undefined) {
      await client.query(`alter database ${name} reset log_min_duration_statement`);
      await client.query(`alter database ${name} reset log_parameter_max_length`);
    }
    await client.end();
  }
}

/**
 * The statements of database `name` in the server's log since `offset`, grouped by their text
 * (a prepared statement's execute, parse and bind counted apart): calls and ms per task, most
 * time first.
 */
function statementsFromLog(name, offset, count) {
  const fd = fs.openSync(SERVER_LOG, 'r');
  const size = fs.fstatSync(fd).size;
  const buffer = Buffer.alloc(size - offset);
  fs.readSync(fd, buffer, 0, buffer.length, offset);
  fs.closeSync(fd);
  const groups = new Map();
  const lines = buffer.toString('utf8').split('\n');
  const marker = `@${name} LOG:  duration: `;
  for (let i = 0; i < lines.length; i += 1) {
    const at = lines[i].indexOf(marker);
    if (at < 0) continue;
    const m = /^([\d.]+) ms {2}(.*)$/.exec(lines[i].slice(at + marker.length));
    if (!m) continue;
    let text = m[2];
    // A statement's further lines are indented with a tab.
    while (i + 1 < lines.length && lines[i + 1].startsWith('\t')) text += ` ${lines[++i].trim()}`;
    const key = text
      .replace(/\s+/g, ' ')
      .replace(/\$\d+|'[^']*'|\b\d+\b/g, '?')
      .slice(0, 160);
    const g = groups.get(key) ?? { calls: 0, ms: 0 };
    g.calls += 1;
    g.ms += Number(m[1]);
    groups.set(key, g);
  }
  return [...groups.entries()]
    .map(([text, g]) => ({ text, calls: g.calls, calls_per_task: perTask(g.calls, count), us_per_task: perTask(g.ms * 1000, count) }))
    .sort((a, b) => b.us_per_task - a.us_per_task);
}
