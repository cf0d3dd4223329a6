import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { TEST_ADMIN_DATABASE_URL } from './env';
import { freePort, waitFor } from './processes';

/** Where the pooler tests find PgBouncer: PGBOUNCER_PATH (npm test installs Debian's package and sets it), or Debian's path. */
const PGBOUNCER_PATH = process.env.PGBOUNCER_PATH ?? '/usr/sbin/pgbouncer';

export interface PrivatePgbouncer {
  port: number;
  /** Its process id (benchmarks read its CPU time). */
  pid: number;
  /** postgresUrl (any database of the server behind it) rewritten to go through this PgBouncer. */
  urlFor: (postgresUrl: string) => string;
  /** Everything PgBouncer has logged so far. */
  output: () => string;
  /** Shuts it down (SIGTERM: at once, dropping its connections) and deletes its folder. */
  stop: () => Promise<void>;
}

interface PgbouncerOptions {
  /** Any URL of the Postgres server to pool (its host, port and user are used). */
  postgresUrl?: string;
  /** Server connections per database and user (PgBouncer's default_pool_size). */
  poolSize?: number;
}

const running = new Set<() => void>();
process.once('exit', () => {
  for (const kill of running) kill();
});

/** The uid and gid to run as: PgBouncer refuses to run as root, so as root it runs as postgres. */
function runAs(): { uid: number; gid: number } | undefined {
  if (os.userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A PgBouncer of our own in transaction mode, on a free loopback port, in front of the
 * Postgres server of postgresUrl (by default the shared test server). Every database of that
 * server is reachable through it (`* =`), so databases created on the fly are too. Trust
 * authentication from loopback, as the test servers have; no Unix socket, so it never meets
 * a system PgBouncer's; its admin console (database `pgbouncer`) is open to that user. It runs
 * in the foreground as a child of this process.
 */
export async function startPrivatePgbouncer(options: PgbouncerOptions = {}): Promise<PrivatePgbouncer> {
  if (!fs.existsSync(PGBOUNCER_PATH)) {
    throw new Error(`No PgBouncer at ${PGBOUNCER_PATH}: run npm test (it installs Debian's pgbouncer), or apt-get install pgbouncer, or set PGBOUNCER_PATH`);
  }
  const server = new URL(options.postgresUrl ?? TEST_ADMIN_DATABASE_URL);
  const user = decodeURIComponent(server.username) || 'postgres';
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-pgbouncer-'));
  const ini = path.join(dir, 'pgbouncer.ini');
  const users = path.join(dir, 'users.txt');
  // auth_type=trust still wants the user listed; its password is what PgBouncer logs in with.
  fs.writeFileSync(users, `"${user}" "${decodeURIComponent(server.password)}"\n`, { mode: 0o600 });
  fs.writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      'pool_mode = transaction',
      `admin_users = ${user}`,
      `default_pool_size = ${options.poolSize ?? 10}`,
      'max_client_conn = 500',
      // After a failed login to the server, refuse clients for 1 s before trying again, not 15 s:
      // the Postgres-outage test stops its server for seconds.
      'server_login_retry = 1',
      'logfile =',
      'pidfile =',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const owner = runAs();
  if (owner) for (const file of [dir, ini, users]) fs.chownSync(file, owner.uid, owner.gid);

  const child = spawn(PGBOUNCER_PATH, [ini], { stdio: ['ignore', 'pipe', 'pipe'], ...owner });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('error', (error) => (output += `${error.message}\n`));
  const kill = () => child.kill('SIGKILL');
  running.add(kill);
  const urlFor = (postgresUrl: string) => {
    const url = new URL(postgresUrl);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    return url.toString();
  };
  const stop = async () => {
    running.delete(kill);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Up when a query goes through it to the server (a bound for one that never comes up).
    const probe = new URL(server);
    probe.pathname = '/postgres';
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode})`);
        const client = new Client({ connectionString: urlFor(probe.toString()) });
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.query('select 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      `pgbouncer on ${port}`,
      20_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- pgbouncer output ---\n${output}`);
  }
  return { port, pid: child.pid!, urlFor, output: () => output, stop };
}
