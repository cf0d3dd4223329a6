// What a phase of a benchmark cost Postgres, attributed to one database where the server is
// shared (other jobs' tests run on it too): the CPU of the server processes, by who they
// serve, read from /proc; and the WAL the phase wrote for that database, read back with
// pg_walinspect (PostgreSQL 15+), beside the cluster's whole WAL between the two positions.
import fs from 'node:fs';

const HZ = 100; // USER_HZ on Linux

/** CPU time (user + system) of a process so far, in ms, and its command line; null once it is gone. */
function readProcess(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / HZ;
    return { cpuMs, cmdline: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() };
  } catch {
    return null;
  }
}

/**
 * Which part of the server a postgres process is, by the title Postgres gives it
 * (update_process_title, on by default): a backend connected to `database`; one of the
 * server's own processes (postmaster, checkpointer, background and WAL writers, autovacuum),
 * which work for every database; or another database's backend.
 */
function kindOf(cmdline, database) {
  if (cmdline.includes(` ${database} `)) return 'database';
  if (!/^postgres: /.test(cmdline) || /: (checkpointer|background writer|walwriter|autovacuum|logical replication launcher|archiver|stats)/.test(cmdline))
    return 'server';
  return 'other';
}

function postgresPids() {
  return fs.readdirSync('/proc').filter((d) => {
    if (!/^\d+$/.test(d)) return false;
    try {
      return fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
    } catch {
      return false; // gone meanwhile
    }
  });
}

/**
 * Samples the CPU of every postgres process from start() to stop(), every `everyMs`, so that
 * a backend that ends meanwhile keeps what it used up to its last sample (and one that starts
 * meanwhile counts whole). stop() resolves to ms by kind: `database` (the backends of the
 * database: the phase's own work, for a private database), `server` (shared by every
 * database), `other` (other databases' backends: what else ran on the server). Backends in
 * `excludePids` (the benchmark's own monitoring connection) are left out.
 */
export function postgresCpuSampler(database, { excludePids = [], everyMs = 200 } = {}) {
  const excluded = new Set(excludePids.map(String));
  const seen = new Map(); // pid → { kind, first, last }
  const sample = (initial) => {
    for (const pid of postgresPids()) {
      if (excluded.has(pid)) continue;
      const now = readProcess(pid);
      if (!now) continue;
      const known = seen.get(pid);
      if (known) known.last = now.cpuMs;
      else seen.set(pid, { kind: kindOf(now.cmdline, database), first: initial ? now.cpuMs : 0, last: now.cpuMs });
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample(false);
      const ms = { database: 0, server: 0, other: 0 };
      for (const p of seen.values()) ms[p.kind] += p.last - p.first;
      return ms;
    },
  };
}

/**
 * Marks the WAL position before a phase and keeps the WAL from there until walSince() has
 * read it: a temporary physical replication slot (dropped with the session, so a benchmark
 * that dies leaves nothing behind), since a checkpoint during the phase may otherwise recycle
 * the segments before they are read. `client` is a pg Client on the database, superuser, with
 * the pg_walinspect extension created; with `slot` null (no pg_walinspect), only the position.
 */
export async function walMark(client, slot) {
  if (slot) await client.query('select pg_create_physical_replication_slot($1, true, true)', [slot]);
  // The flushed position: pg_walinspect reads no further than it (every commit is flushed before it answers).
  const { rows } = await client.query('select pg_current_wal_flush_lsn()::text as lsn');
  return { slot, lsn: rows[0].lsn };
}

/**
 * The WAL written since the mark: `cluster_bytes`, all of it (every database's, and the
 * server's own records); `database_bytes`, the records that touch a relation of this
 * database, with the commit records of their transactions; `by_type`, those records' bytes by
 * resource manager and record type (`fpi` of them in full-page images); without a slot, the
 * cluster's only (database_bytes NaN). Releases the mark's slot.
 */
export async function walSince(client, mark) {
  const end = (
    await client.query('select pg_current_wal_flush_lsn()::text as lsn, pg_wal_lsn_diff(pg_current_wal_flush_lsn(), $1)::float8 as bytes', [mark.lsn])
  ).rows[0];
  if (!mark.slot) return { cluster_bytes: end.bytes, database_bytes: NaN, by_type: {} };
  try {
    const { rows } = await client.query(
      `with rec as (select * from pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)),
            mine as (select 'rel \\d+/' || oid || '/' as pattern from pg_database where datname = current_database()),
            xids as (select distinct rec.xid from rec, mine where rec.xid <> 0 and rec.block_ref ~ mine.pattern),
            ours as (select rec.* from rec, mine where rec.block_ref ~ mine.pattern or rec.xid in (select xid from xids))
       select resource_manager || '/' || record_type as type, count(*)::float8 as records, sum(record_length)::float8 as bytes, sum(fpi_length)::float8 as fpi
         from ours group by 1 order by 3 desc`,
      [mark.lsn, end.lsn],
    );
    return {
      cluster_bytes: end.bytes,
      database_bytes: rows.reduce((sum, r) => sum + r.bytes, 0),
      by_type: Object.fromEntries(rows.map((r) => [r.type, { records: r.records, bytes: r.bytes, fpi: r.fpi }])),
    };
  } finally {
    await client.query('select pg_drop_replication_slot($1)', [mark.slot]);
  }
}
