#!/usr/bin/env node
// The baselines of bench/datasets.mjs, one run per process (so its peak RSS is its own):
//   streaming: a node's chunks read with plain pg (keyset, 8 chunks a query), JSON.parse, the
//     filter "email is not null" as a loop, re-cut into 1,000-row chunks, JSON.stringify, and
//     inserted 10 chunks a statement into a table of dataset_chunks' shape, in one
//     transaction: the floor of the storage design, with no interpreter, checks or counts.
//   naive: every row read into one array first, filtered, then written the same way: the
//     memory a transformation that holds the table would need.
// env BARE_DATASET (JSON) {databaseUrl, nodeId, outNodeId, table, emailColumn, mode}; prints
// one line {rows_in, rows_out, seconds, peak_rss_mb} on stdout.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './lib.mjs';

const { Client } = createRequire(path.join(ROOT, 'packages', 'db', 'package.json'))('pg');
const settings = JSON.parse(process.env.BARE_DATASET);
const CHUNK = 1000;

const client = new Client({ connectionString: settings.databaseUrl });
await client.connect();

async function* chunks() {
  let after = -1;
  for (;;) {
    const { rows } = await client.query('select chunk_no, rows from dataset_chunks where node_id = $1 and chunk_no > $2 order by chunk_no limit 8', [
      settings.nodeId,
      after,
    ]);
    if (rows.length === 0) return;
    for (const row of rows) yield JSON.parse(row.rows);
    after = rows.at(-1).chunk_no;
  }
}

let chunkNo = 0;
let pending = [];
async function flush() {
  if (!pending.length) return;
  const values = pending.map((_, i) => `($1, $${i * 3 + 2}, $${i * 3 + 3}, $${i * 3 + 4})`).join(', ');
  await client.query(`insert into ${settings.table} (node_id, chunk_no, row_count, rows) values ${values}`, [
    settings.outNodeId,
    ...pending.flatMap((c) => [chunkNo++, c.length, JSON.stringify(c)]),
  ]);
  pending = [];
}
let out = [];
/** Adds a row to the output; true when ten chunks wait to be inserted. */
function add(row) {
  out.push(row);
  if (out.length < CHUNK) return false;
  pending.push(out);
  out = [];
  return pending.length === 10;
}

const started = process.hrtime.bigint();
let rowsIn = 0;
let rowsOut = 0;
const keep = (row) => row[settings.emailColumn] !== null && row[settings.emailColumn] !== undefined;
await client.query('begin');
if (settings.mode === 'naive') {
  const all = [];
  for await (const chunk of chunks()) for (const row of chunk) all.push(row);
  rowsIn = all.length;
  const kept = all.filter(keep);
  for (const row of kept) if (add(row)) await flush();
  rowsOut = kept.length;
} else {
  for await (const chunk of chunks()) {
    rowsIn += chunk.length;
    for (const row of chunk) {
      if (!keep(row)) continue;
      rowsOut += 1;
      if (add(row)) await flush();
    }
  }
}
if (out.length) pending.push(out);
await flush();
await client.query('commit');
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await client.end();
const peak = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;
process.stdout.write(`${JSON.stringify({ rows_in: rowsIn, rows_out: rowsOut, seconds, peak_rss_mb: peak })}\n`);
