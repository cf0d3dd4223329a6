import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { capture, run } from './run.mjs';
import { step } from './say.mjs';

/** True when something accepts TCP connections on host:port. */
function portOpen(host, port, timeoutMs = 700) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitForPort(host, port, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(host, port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not start listening on ${host}:${port} within ${timeoutMs / 1000} s`);
}

const isLocal = (host) => ['127.0.0.1', 'localhost', '::1'].includes(host);
const which = (bin) => capture('sh', ['-c', `command -v ${bin}`]);

/** Uses the Redis at url, or starts one from the installed redis-server with data under .local/redis. */
export async function ensureRedis(root, url) {
  const { hostname: host, port: rawPort } = new URL(url);
  const port = Number(rawPort || 6379);
  if (await portOpen(host, port)) return { started: false, stop: async () => {} };
  if (!isLocal(host)) throw new Error(`Redis at ${host}:${port} does not answer, and it is not on this machine to start`);
  const bin = which('redis-server');
  if (!bin) {
    throw new Error(
      'Nothing listens for Redis on ' +
        `${host}:${port} and redis-server is not installed.\n` +
        '  Debian/Ubuntu: sudo apt-get install -y redis-server\n  macOS: brew install redis\n' +
        '  Or point REDIS_URL at a running Redis.',
    );
  }
  const dir = path.join(root, '.local', 'redis');
  fs.mkdirSync(dir, { recursive: true });
  step(`starting redis-server on ${host}:${port} (data in .local/redis, AOF on)`);
  run(bin, [
    '--daemonize',
    'yes',
    '--bind',
    host === 'localhost' ? '127.0.0.1' : host,
    '--port',
    String(port),
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--maxmemory-policy',
    'noeviction',
    '--pidfile',
    path.join(dir, 'redis.pid'),
    '--logfile',
    path.join(dir, 'redis.log'),
  ]);
  await waitForPort(host, port, 'redis-server');
  return {
    started: true,
    stop: async () => {
      const pid = Number(fs.readFileSync(path.join(dir, 'redis.pid'), 'utf8'));
      if (pid) process.kill(pid, 'SIGTERM');
    },
  };
}

function postgresBinDir() {
  const fromPgConfig = capture('pg_config', ['--bindir']);
  if (fromPgConfig && fs.existsSync(path.join(fromPgConfig, 'pg_ctl'))) return fromPgConfig;
  const base = '/usr/lib/postgresql';
  if (fs.existsSync(base)) {
    const versions = fs
      .readdirSync(base)
      .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return path.join(base, versions[0], 'bin');
  }
  const onPath = which('pg_ctl');
  return onPath ? path.dirname(onPath) : undefined;
}

/** A Debian cluster (pg_ctlcluster) configured for this port, if there is one. */
function debianCluster(port) {
  if (!which('pg_ctlcluster') || !fs.existsSync('/etc/postgresql')) return undefined;
  for (const version of fs.readdirSync('/etc/postgresql')) {
    for (const name of fs.readdirSync(path.join('/etc/postgresql', version))) {
      const conf = path.join('/etc/postgresql', version, name, 'postgresql.conf');
      if (!fs.existsSync(conf)) continue;
      const match = /^\s*port\s*=\s*(\d+)/m.exec(fs.readFileSync(conf, 'utf8'));
      if (Number(match?.[1] ?? 5432) === port) return { version, name };
    }
  }
  return undefined;
}

/**
 * Uses the Postgres at url, or starts one: the machine's own cluster when Debian has one on
 * that port, else a private cluster under .local/postgres made with initdb (trust auth on
 * loopback). Postgres refuses to run as root, so as root it runs as the postgres user.
 */
export async function ensurePostgres(root, url) {
  const { hostname: host, port: rawPort } = new URL(url);
  const port = Number(rawPort || 5432);
  if (await portOpen(host, port)) return { started: false, stop: async () => {} };
  if (!isLocal(host)) throw new Error(`Postgres at ${host}:${port} does not answer, and it is not on this machine to start`);

  const cluster = debianCluster(port);
  if (cluster) {
    step(`starting the machine's PostgreSQL cluster ${cluster.version}/${cluster.name}`);
    run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start']);
    await waitForPort(host, port, 'PostgreSQL');
    return { started: true, stop: async () => run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, 'stop']) };
  }

  const bin = postgresBinDir();
  if (!bin) {
    throw new Error(
      `Nothing listens for PostgreSQL on ${host}:${port} and no PostgreSQL server is installed.\n` +
        '  Debian/Ubuntu: sudo apt-get install -y postgresql\n  macOS: brew install postgresql@16\n' +
        '  Or point DATABASE_URL at a running PostgreSQL.',
    );
  }
  const dataDir = path.join(root, '.local', 'postgres');
  const socketDir = path.join(root, '.local', 'postgres-socket');
  const asRoot = os.userInfo().uid === 0;
  const as = (cmd, args) => (asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));
  fs.mkdirSync(socketDir, { recursive: true });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    step(`creating a private PostgreSQL cluster in .local/postgres (${bin})`);
    fs.mkdirSync(dataDir, { recursive: true });
    if (asRoot) run('chown', ['-R', 'postgres', dataDir, socketDir]);
    as(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8']);
  }
  step(`starting PostgreSQL on ${host}:${port} (data in .local/postgres)`);
  const pgCtl = path.join(bin, 'pg_ctl');
  const options = `-p ${port} -c listen_addresses=${host === 'localhost' ? '127.0.0.1' : host} -k ${socketDir}`;
  as(pgCtl, ['-D', dataDir, '-l', path.join(dataDir, 'server.log'), '-o', options, '-w', 'start']);
  await waitForPort(host, port, 'PostgreSQL');
  return { started: true, stop: async () => as(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']) };
}
